import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Collection } from './collection.js';
import { MemoryStateStore } from './memory-store.js';

type Obj = { id: string; resourceVersion: string } & Record<string, unknown>;

describe('Collection', () => {
  const coll = new Collection<Obj>(new MemoryStateStore(), '/things/', (o) => o.id);

  it('writes a stored value with its version as the same object decode gives', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string().filter((k) => k !== 'resourceVersion' && k !== '__proto__'), fc.jsonValue()), fc.nat(), (fields, rev) => {
        const value = coll.encode({ ...fields, resourceVersion: '7' } as Obj);
        expect(JSON.parse(coll.jsonWithVersion(value, rev))).toEqual(coll.decodeValue(value, rev));
      }),
    );
  });
});
