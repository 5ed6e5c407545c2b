// -k/-kk failures as bpftrace 0.17 prints them (each expected text recorded from bpftrace 0.17,
// the command above it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatHelperError, jsonHelperError } from '../../src/output/index.js';
import { SourceFile } from '../../src/lang/source.js';

/** The span of the first `text` in `src` (one line). */
function spanOf(src: string, text: string) {
  const f = new SourceFile('x', src);
  const at = src.indexOf(text);
  return f.span(at, at + text.length);
}

test('a negative return value: strerror and the value, the line, ~ under the call', () => {
  // bpftrace -k -e 'i:ms:100 { @[1] = 1; delete(@[2]); exit(); }'
  const src = 'i:ms:100 { @[1] = 1; delete(@[2]); exit(); }';
  assert.equal(formatHelperError({ helper: 'map_delete_elem', retcode: -2, span: spanOf(src, 'delete(@[2])') }, 'stdin', src),
    'stdin:1:22-34: WARNING: Failed to map_delete_elem: No such file or directory (-2)\n'
    + 'i:ms:100 { @[1] = 1; delete(@[2]); exit(); }\n'
    + '                     ~~~~~~~~~~~~\n');
  assert.equal(jsonHelperError({ helper: 'map_delete_elem', retcode: -2, span: spanOf(src, 'delete(@[2])') }),
    '{"type": "helper_error", "helper": "map_delete_elem", "retcode": -2, "line": 1, "col": 22}\n');
});

test('a lookup that found nothing: the value alone', () => {
  // bpftrace -kk -e 'i:ms:100 { @[1] = 1; printf("%d\n", @[2]); exit(); }'
  const src = 'i:ms:100 { @[1] = 1; printf("%d\\n", @[2]); exit(); }';
  assert.equal(formatHelperError({ helper: 'map_lookup_elem', retcode: 0, span: spanOf(src, '@[2]') }, 'stdin', src),
    'stdin:1:37-41: WARNING: Failed to map_lookup_elem: 0\n'
    + 'i:ms:100 { @[1] = 1; printf("%d\\n", @[2]); exit(); }\n'
    + '                                    ~~~~\n');
});

test('tabs print as four spaces (markers too); a call over several lines prints the line range alone', () => {
  // printf 'BEGIN {\n\t@x[1] = 1; delete(@x[2]);\n\texit();\n}\n' > t.bt; bpftrace -k t.bt
  const src = 'BEGIN {\n\t@x[1] = 1; delete(@x[2]);\n\texit();\n}\n';
  assert.equal(formatHelperError({ helper: 'map_delete_elem', retcode: -2, span: spanOf(src, 'delete(@x[2])') }, 't.bt', src),
    't.bt:2:13-26: WARNING: Failed to map_delete_elem: No such file or directory (-2)\n'
    + '    @x[1] = 1; delete(@x[2]);\n'
    + '               ~~~~~~~~~~~~~\n');
  // printf 'BEGIN { @x[1] = 1;\n delete(@x[2]\n); exit(); }\n' > m.bt; bpftrace -k m.bt
  const ml = 'BEGIN { @x[1] = 1;\n delete(@x[2]\n); exit(); }\n';
  assert.equal(formatHelperError({ helper: 'map_delete_elem', retcode: -2, span: spanOf(ml, 'delete(@x[2]\n)') }, 'm.bt', ml),
    'm.bt:2-3: WARNING: Failed to map_delete_elem: No such file or directory (-2)\n');
});

test('errno names: E2BIG from a full map, EFAULT from a read', () => {
  // BPFTRACE_MAP_KEYS_MAX=1 bpftrace -k -f json -e 'BEGIN { @[1]=1; @[2]=2; exit(); }'
  const src = 'BEGIN { @[1]=1; @[2]=2; exit(); }';
  assert.equal(jsonHelperError({ helper: 'map_update_elem', retcode: -7, span: spanOf(src, '@[2]=2') }),
    '{"type": "helper_error", "helper": "map_update_elem", "retcode": -7, "line": 1, "col": 17}\n');
  assert.match(formatHelperError({ helper: 'map_update_elem', retcode: -7, span: spanOf(src, '@[2]=2') }, 'stdin', src),
    /^stdin:1:17-23: WARNING: Failed to map_update_elem: Argument list too long \(-7\)\n/);
  assert.match(formatHelperError({ helper: 'probe_read_user', retcode: -14 }, 'stdin', src), /^stdin: WARNING: Failed to probe_read_user: Bad address \(-14\)\n$/);
});
