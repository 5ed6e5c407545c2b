import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { intTypeByName, tracepointFieldType } from '../../../src/lang/sema/ctypes.js';
import { typeName, type SType } from '../../../src/lang/types.js';
import { parseFields } from './fixture.js';

const field = (line: string, space: 'kernel' | 'user' = 'kernel'): string => {
  const [f] = parseFields(line + '\n');
  return typeName(tracepointFieldType(f!, space));
};

describe('sema/ctypes: integer type names', () => {
  it("bpftrace's names, kernel typedefs and C spellings", () => {
    const t = (n: string) => {
      const x = intTypeByName(n);
      return x ? typeName(x as SType) : undefined;
    };
    assert.deepEqual(
      ['uint8', 'int64', 'u32', '__s16', 'unsigned long long', 'long', 'short', 'char', 'unsigned char', 'signed char', 'unsigned', 'int', 'pid_t', 'size_t', 'bool', 'const int', 'struct x', 'float'].map(t),
      ['uint8', 'int64', 'uint32', 'int16', 'uint64', 'int64', 'int16', 'int8', 'uint8', 'int8', 'uint32', 'int32', 'int32', 'uint64', 'uint8', 'int32', undefined, undefined],
    );
  });
});

describe('sema/ctypes: tracefs field declarations', () => {
  it('integers take the size from the format file and the signedness from the C type', () => {
    assert.equal(field('\tfield:int dfd;\toffset:16;\tsize:8;\tsigned:0;'), 'int64');
    assert.equal(field('\tfield:unsigned int fd;\toffset:16;\tsize:8;\tsigned:0;'), 'uint64');
    assert.equal(field('\tfield:long ret;\toffset:16;\tsize:8;\tsigned:1;'), 'int64');
    assert.equal(field('\tfield:int __syscall_nr;\toffset:8;\tsize:4;\tsigned:1;'), 'int32');
  });

  it('typedefs take both from the format file', () => {
    assert.equal(field('\tfield:umode_t mode;\toffset:40;\tsize:8;\tsigned:0;'), 'uint64');
    assert.equal(field('\tfield:pid_t pid;\toffset:12;\tsize:4;\tsigned:1;'), 'int32');
    assert.equal(field('\tfield:dev_t dev;\toffset:8;\tsize:4;\tsigned:0;'), 'uint32');
  });

  it('pointers, in the probe address space', () => {
    assert.equal(field('\tfield:const char * filename;\toffset:24;\tsize:8;\tsigned:0;', 'user'), 'int8 *');
    assert.deepEqual(tracepointFieldType(parseFields('\tfield:const char *const * argv;\toffset:24;\tsize:8;\tsigned:0;\n')[0]!, 'user'), {
      kind: 'pointer', space: 'user', to: { kind: 'pointer', space: 'user', to: { kind: 'int', size: 1, signed: true } },
    });
    assert.equal(field('\tfield:void * ptr;\toffset:8;\tsize:8;\tsigned:0;'), 'none *');
    assert.equal(field('\tfield:struct sockaddr * uservaddr;\toffset:24;\tsize:8;\tsigned:0;'), 'struct sockaddr *');
  });

  it('char arrays are strings, other arrays arrays', () => {
    assert.equal(field('\tfield:char prev_comm[16];\toffset:8;\tsize:16;\tsigned:0;'), 'string[16]');
    assert.equal(field('\tfield:unsigned long args[6];\toffset:16;\tsize:48;\tsigned:0;'), 'uint64[6]');
    assert.equal(field('\tfield:__u8 saddr[4];\toffset:28;\tsize:4;\tsigned:0;'), 'uint8[4]');
  });

  it('__data_loc strings are pointers into the record', () => {
    assert.deepEqual(tracepointFieldType(parseFields('\tfield:__data_loc char[] filename;\toffset:8;\tsize:4;\tsigned:0;\n')[0]!, 'user'), {
      kind: 'pointer', to: { kind: 'int', size: 1, signed: true }, space: 'kernel',
    });
  });
});
