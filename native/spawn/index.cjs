'use strict';
// The built addon; require() fails (and callers fall back to child_process) where it was not built.
module.exports = require('./build/Release/orchestrator_spawn.node');
