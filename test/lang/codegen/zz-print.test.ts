import { generate } from '../../../src/lang/codegen/index.js';
import { assemble, disassemble } from '../../../src/asm/index.js';
import { CASES } from './cases.js';
for (const c of CASES) {
  console.log(`  '${c.name}': \``);
  process.stdout.write(disassemble(assemble(generate(c.ir(), c.opts)).bytes));
  console.log('`,');
}
