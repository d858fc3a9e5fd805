/*
 * posix_spawn for Node, for the runtime driver's hot path (runc, conmon).
 *
 * Node's child_process forks the whole process (libuv's uv_spawn) and blocks the event loop until
 * the child has exec'd: with a control plane's heap that is 6-15 ms per call on a small VM, most of
 * it copying and tearing down page tables the child never uses. glibc's posix_spawn uses
 * CLONE_VM|CLONE_VFORK: the child borrows the parent's memory until it execs, and the call costs
 * well under a millisecond whatever the parent's size.
 *
 * The child gets exactly the fds it is given (closefrom after them), default signal dispositions
 * and an empty signal mask (Node ignores SIGPIPE; a child must not inherit that). Its exit is
 * observed through a pidfd polled on the caller's event loop, so no thread waits and the process
 * is reaped exactly once, by us.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#define MAX_CHILD_FDS 16

typedef struct {
  uv_poll_t poll;
  int pidfd;
  pid_t pid;
  napi_env env;
  napi_ref callback;
  napi_async_context context;
  napi_async_cleanup_hook_handle cleanup;
} exit_watch;

static napi_value throw_errno(napi_env env, int err, const char *what) {
  const char *name = strerrorname_np(err);
  char message[256];
  snprintf(message, sizeof message, "%s: %s", what, strerror(err));
  napi_throw_error(env, name ? name : "EUNKNOWN", message);
  return NULL;
}

#define CHECK(call)                                                   \
  do {                                                                \
    if ((call) != napi_ok) {                                          \
      napi_throw_error(env, "EINVAL", "orchestrator-spawn: " #call); \
      goto fail;                                                      \
    }                                                                 \
  } while (0)

/* A JS string as a malloc'd C string; NULL (with an exception) on failure. */
static char *string_arg(napi_env env, napi_value value) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, value, NULL, 0, &len) != napi_ok) {
    napi_throw_type_error(env, "EINVAL", "expected a string");
    return NULL;
  }
  char *s = malloc(len + 1);
  if (!s) {
    napi_throw_error(env, "ENOMEM", "out of memory");
    return NULL;
  }
  napi_get_value_string_utf8(env, value, s, len + 1, &len);
  if (strlen(s) != len) { /* an embedded NUL would silently cut an argument short */
    free(s);
    napi_throw_type_error(env, "EINVAL", "string contains a NUL byte");
    return NULL;
  }
  return s;
}

static void free_strings(char **list) {
  if (!list) return;
  for (char **p = list; *p; p++) free(*p);
  free(list);
}

/* A JS array of strings as a NULL-terminated, malloc'd vector. */
static char **string_array(napi_env env, napi_value array) {
  uint32_t n = 0;
  if (napi_get_array_length(env, array, &n) != napi_ok) {
    napi_throw_type_error(env, "EINVAL", "expected an array of strings");
    return NULL;
  }
  char **list = calloc(n + 1, sizeof(char *));
  if (!list) {
    napi_throw_error(env, "ENOMEM", "out of memory");
    return NULL;
  }
  for (uint32_t i = 0; i < n; i++) {
    napi_value item;
    napi_get_element(env, array, i, &item);
    if (!(list[i] = string_arg(env, item))) {
      free_strings(list);
      return NULL;
    }
  }
  return list;
}

static void watch_closed(uv_handle_t *handle) {
  exit_watch *w = handle->data;
  close(w->pidfd);
  if (w->cleanup) napi_remove_async_cleanup_hook(w->cleanup);
  free(w);
}

/* The environment is going away (a worker ending) with the child still running: stop watching. */
static void watch_teardown(napi_async_cleanup_hook_handle handle, void *arg) {
  exit_watch *w = arg;
  (void)handle;
  uv_poll_stop(&w->poll);
  uv_close((uv_handle_t *)&w->poll, watch_closed);
}

static void watch_readable(uv_poll_t *handle, int status, int events) {
  exit_watch *w = handle->data;
  (void)status;
  (void)events;
  int wstatus = 0;
  pid_t reaped = waitpid(w->pid, &wstatus, WNOHANG);
  if (reaped == 0) return; /* not yet: pidfds are readable only on exit, but be safe */
  int code = -1, signal_number = 0;
  if (reaped == w->pid) {
    if (WIFEXITED(wstatus)) code = WEXITSTATUS(wstatus);
    else if (WIFSIGNALED(wstatus)) signal_number = WTERMSIG(wstatus);
  }
  uv_poll_stop(handle);

  napi_env env = w->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value callback, receiver, argv[2], result;
  napi_get_reference_value(env, w->callback, &callback);
  napi_get_global(env, &receiver);
  napi_create_int32(env, code, &argv[0]);
  napi_create_int32(env, signal_number, &argv[1]);
  napi_make_callback(env, w->context, receiver, callback, 2, argv, &result);
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (pending) {
    napi_value error;
    napi_get_and_clear_last_exception(env, &error);
    napi_fatal_exception(env, error);
  }
  napi_close_handle_scope(env, scope);

  napi_delete_reference(env, w->callback);
  napi_async_destroy(env, w->context);
  uv_close((uv_handle_t *)handle, watch_closed);
}

/*
 * spawn(file, argv, envp, cwd | null, fds, setsid, onExit) -> pid
 * fds[i] is the parent fd the child gets as fd i (-1: /dev/null). Every other fd is closed.
 * onExit(code, signal): code -1 when killed by a signal (or lost), signal 0 when it exited.
 */
static napi_value spawn(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value args[7];
  char *file = NULL, *cwd = NULL, **argv = NULL, **envp = NULL;
  int fds[MAX_CHILD_FDS];
  uint32_t nfds = 0;
  bool setsid_flag = false, attr_ready = false, actions_ready = false;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_t actions;
  napi_value ret = NULL;

  CHECK(napi_get_cb_info(env, info, &argc, args, NULL, NULL));
  if (argc < 7) {
    napi_throw_type_error(env, "EINVAL", "spawn(file, argv, envp, cwd, fds, setsid, onExit)");
    goto fail;
  }
  if (!(file = string_arg(env, args[0])) || !(argv = string_array(env, args[1])) || !(envp = string_array(env, args[2]))) goto fail;
  napi_valuetype cwd_type;
  CHECK(napi_typeof(env, args[3], &cwd_type));
  if (cwd_type == napi_string && !(cwd = string_arg(env, args[3]))) goto fail;
  CHECK(napi_get_array_length(env, args[4], &nfds));
  if (nfds > MAX_CHILD_FDS) {
    napi_throw_range_error(env, "EINVAL", "too many child fds");
    goto fail;
  }
  for (uint32_t i = 0; i < nfds; i++) {
    napi_value item;
    CHECK(napi_get_element(env, args[4], i, &item));
    CHECK(napi_get_value_int32(env, item, &fds[i]));
    /* A source among the child's own low fds could be overwritten before it is copied. */
    if (fds[i] >= 0 && fds[i] < (int)nfds && fds[i] != (int)i) {
      napi_throw_range_error(env, "EINVAL", "a child fd's source must not be another low fd");
      goto fail;
    }
  }
  CHECK(napi_get_value_bool(env, args[5], &setsid_flag));
  napi_valuetype cb_type;
  CHECK(napi_typeof(env, args[6], &cb_type));
  if (cb_type != napi_function) {
    napi_throw_type_error(env, "EINVAL", "onExit must be a function");
    goto fail;
  }

  posix_spawnattr_init(&attr);
  attr_ready = true;
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | (setsid_flag ? POSIX_SPAWN_SETSID : 0));

  posix_spawn_file_actions_init(&actions);
  actions_ready = true;
  if (cwd) posix_spawn_file_actions_addchdir_np(&actions, cwd);
  for (uint32_t i = 0; i < nfds; i++) {
    if (fds[i] < 0) posix_spawn_file_actions_addopen(&actions, (int)i, "/dev/null", O_RDWR, 0);
    else posix_spawn_file_actions_adddup2(&actions, fds[i], (int)i);
  }
  posix_spawn_file_actions_addclosefrom_np(&actions, (int)nfds);

  pid_t pid;
  int err = posix_spawn(&pid, file, &actions, &attr, argv, envp);
  if (err != 0) {
    throw_errno(env, err, file);
    goto fail;
  }

  int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  exit_watch *w = pidfd >= 0 ? calloc(1, sizeof *w) : NULL;
  uv_loop_t *loop = NULL;
  if (!w || napi_get_uv_event_loop(env, &loop) != napi_ok || uv_poll_init(loop, &w->poll, pidfd) != 0) {
    /* Unwatchable: do not leave a child nobody will reap or stop. */
    int saved = pidfd >= 0 ? ENOMEM : errno;
    if (pidfd >= 0) close(pidfd);
    free(w);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    throw_errno(env, saved, "watching the child");
    goto fail;
  }
  w->pid = pid;
  w->pidfd = pidfd;
  w->env = env;
  w->poll.data = w;
  napi_value resource, resource_name;
  napi_create_object(env, &resource);
  napi_create_string_utf8(env, "orchestrator-spawn", NAPI_AUTO_LENGTH, &resource_name);
  napi_async_init(env, resource, resource_name, &w->context);
  napi_create_reference(env, args[6], 1, &w->callback);
  napi_add_async_cleanup_hook(env, watch_teardown, w, &w->cleanup);
  uv_poll_start(&w->poll, UV_READABLE, watch_readable);
  napi_create_int32(env, pid, &ret);

fail:
  if (attr_ready) posix_spawnattr_destroy(&attr);
  if (actions_ready) posix_spawn_file_actions_destroy(&actions);
  free(file);
  free(cwd);
  free_strings(argv);
  free_strings(envp);
  return ret;
}

/* pipe() -> [readFd, writeFd], both close-on-exec (a child gets one only through spawn's fds). */
static napi_value make_pipe(napi_env env, napi_callback_info info) {
  (void)info;
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) return throw_errno(env, errno, "pipe");
  napi_value result, r, w;
  napi_create_array_with_length(env, 2, &result);
  napi_create_int32(env, p[0], &r);
  napi_create_int32(env, p[1], &w);
  napi_set_element(env, result, 0, r);
  napi_set_element(env, result, 1, w);
  return result;
}

/* Whether this kernel has pidfds (Linux 5.3+); without them the caller uses child_process. */
static napi_value supported(napi_env env, napi_callback_info info) {
  (void)info;
  int fd = (int)syscall(SYS_pidfd_open, getpid(), 0);
  if (fd >= 0) close(fd);
  napi_value result;
  napi_get_boolean(env, fd >= 0, &result);
  return result;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
    {"spawn", NULL, spawn, NULL, NULL, NULL, napi_default, NULL},
    {"pipe", NULL, make_pipe, NULL, NULL, NULL, napi_default, NULL},
    {"supported", NULL, supported, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}
