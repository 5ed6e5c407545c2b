import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { formatExpr, formatType, parseExpression, type Expr } from '../../src/lang/index.js';

/** Every operator application in brackets, so the tree shape is visible in one line. */
function shape(e: Expr): string {
  switch (e.kind) {
    case 'Binary':
      return `(${shape(e.left)} ${e.op} ${shape(e.right)})`;
    case 'Unary':
      return `(${e.op}${shape(e.operand)})`;
    case 'Ternary':
      return `(${shape(e.cond)} ? ${shape(e.then)} : ${shape(e.else)})`;
    case 'Cast':
      return `(cast ${formatType(e.type)} ${shape(e.expr)})`;
    case 'IncDec':
      return e.prefix ? `(${e.op}${shape(e.target)})` : `(${shape(e.target)}${e.op})`;
    case 'FieldAccess':
      return `(${shape(e.object)}${e.arrow ? '->' : '.'}${e.field})`;
    case 'IndexAccess':
      return `(${shape(e.object)}[${shape(e.index)}])`;
    case 'Call':
      return `${e.name}(${e.args.map(shape).join(', ')})`;
    default:
      return formatExpr(e);
  }
}

const p = (src: string): string => shape(parseExpression(src));

describe('operator precedence and associativity', () => {
  it('follows C precedence from || down to *', () => {
    assert.equal(p('a || b && c'), '(a || (b && c))');
    assert.equal(p('a && b | c'), '(a && (b | c))');
    assert.equal(p('a | b ^ c'), '(a | (b ^ c))');
    assert.equal(p('a ^ b & c'), '(a ^ (b & c))');
    assert.equal(p('a & b == c'), '(a & (b == c))');
    assert.equal(p('a == b < c'), '(a == (b < c))');
    assert.equal(p('a < b << c'), '(a < (b << c))');
    assert.equal(p('a << b + c'), '(a << (b + c))');
    assert.equal(p('a + b * c'), '(a + (b * c))');
    assert.equal(p('a * b + c'), '((a * b) + c)');
  });

  it('puts each level on the right side too', () => {
    assert.equal(p('a * b || c'), '((a * b) || c)');
    assert.equal(p('a == b && c != d'), '((a == b) && (c != d))');
    assert.equal(p('$x & 0xff == 0'), '($x & (0xff == 0))');
    assert.equal(p('1 + 2 << 3 - 4'), '((1 + 2) << (3 - 4))');
  });

  it('is left-associative for binary operators', () => {
    assert.equal(p('a - b - c'), '((a - b) - c)');
    assert.equal(p('a / b / c'), '((a / b) / c)');
    assert.equal(p('a % b * c'), '((a % b) * c)');
    assert.equal(p('a << b >> c'), '((a << b) >> c)');
    assert.equal(p('a < b >= c'), '((a < b) >= c)');
    assert.equal(p('a == b != c'), '((a == b) != c)');
    assert.equal(p('a || b || c'), '((a || b) || c)');
  });

  it('is right-associative for the ternary and binds it loosest', () => {
    assert.equal(p('a ? b : c ? d : e'), '(a ? b : (c ? d : e))');
    assert.equal(p('a || b ? c + 1 : d'), '((a || b) ? (c + 1) : d)');
    assert.equal(p('a ? b ? c : d : e'), '(a ? (b ? c : d) : e)');
  });

  it('binds unary operators tighter than binary ones', () => {
    assert.equal(p('-a * b'), '((-a) * b)');
    assert.equal(p('!a && b'), '((!a) && b)');
    assert.equal(p('~a | b'), '((~a) | b)');
    assert.equal(p('*a + 1'), '((*a) + 1)');
    assert.equal(p('a - -b'), '(a - (-b))');
    assert.equal(p('a * *b'), '(a * (*b))');
    assert.equal(p('a & &b'), '(a & (&b))');
  });

  it('binds postfix operators tighter than unary ones', () => {
    assert.equal(p('-a->b'), '(-(a->b))');
    assert.equal(p('*a.b'), '(*(a.b))');
    assert.equal(p('!f(x)[1]'), '(!(f(x)[1]))');
    assert.equal(p('-$x++'), '(-($x++))');
    assert.equal(p('a->b.c[1]->d'), '((((a->b).c)[1])->d)');
  });

  it('binds a cast like a unary operator', () => {
    assert.equal(p('(uint8)a + b'), '((cast uint8 a) + b)');
    assert.equal(p('(struct x *)a->b'), '(cast struct x * (a->b))');
    assert.equal(p('(int64)-a'), '(cast int64 (-a))');
    assert.equal(p('((struct x *)a)->b'), '((cast struct x * a)->b)');
    assert.equal(p('-(uint32)a'), '(-(cast uint32 a))');
  });

  it('lets parentheses override precedence', () => {
    assert.equal(p('(a + b) * c'), '((a + b) * c)');
    assert.equal(p('a - (b - c)'), '(a - (b - c))');
    assert.equal(p('(a ? b : c) + 1'), '((a ? b : c) + 1)');
  });
});

describe('formatExpr', () => {
  it('parenthesises only where needed and round-trips', () => {
    for (const src of ['(a + b) * c', 'a - (b - c)', 'a - b - c', '-(a + 1)', 'a ? b : c ? d : e', '(a ? b : c) ? d : e', '(uint8)(a + b)', '*(a + 1)']) {
      const text = formatExpr(parseExpression(src));
      assert.equal(text, src);
      assert.equal(shape(parseExpression(text)), shape(parseExpression(src)));
    }
  });
});
