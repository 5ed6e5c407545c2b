// C++ names in stacks: what c++filt prints (GNU binutils 2.40), case by case.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { ElfFile } from '../../src/elf/index.js';
import { demangle } from '../../src/symbols/index.js';

const CASES: [string, string][] = [
  ['_Z3fooi', 'foo(int)'],
  ['_ZN3Foo3barEv', 'Foo::bar()'],
  ['_ZNK3Foo3getEv', 'Foo::get() const'],
  ['_ZN3FooC2Ev', 'Foo::Foo()'],
  ['_ZN3FooD1Ev', 'Foo::~Foo()'],
  ['_ZN3FooC2ERKS_', 'Foo::Foo(Foo const&)'],
  ['_ZN3FooplERKS_', 'Foo::operator+(Foo const&)'],
  ['_Z3maxIiET_S0_S0_', 'int max<int>(int, int)'],
  ['_ZNSt6vectorIiSaIiEE9push_backERKi', 'std::vector<int, std::allocator<int> >::push_back(int const&)'],
  ['_ZN2ns1fEPKcRSt6vectorIiSaIiEE', 'ns::f(char const*, std::vector<int, std::allocator<int> >&)'],
  ['_Z4funcPFviE', 'func(void (*)(int))'],
  ['_Z5applyIiEvPFvT_ES0_', 'void apply<int>(void (*)(int), int)'],
  ['_ZNKSt8functionIFviEEclEi', 'std::function<void (int)>::operator()(int) const'],
  ['_Z1fPA10_i', 'f(int (*) [10])'],
  ['_ZN12_GLOBAL__N_13fooEv', '(anonymous namespace)::foo()'],
  ['_Z3fooi.cold', 'foo(int) [clone .cold]'],
  ['_ZZ4mainE1x', 'main::x'],
  ['_ZN9__gnu_cxx13new_allocatorIcE8allocateEmPKv', '__gnu_cxx::new_allocator<char>::allocate(unsigned long, void const*)'],
  ['_Z1fIJidEEvDpT_', 'void f<int, double>(int, double)'],
  ['_ZN4node5StartEiPPc', 'node::Start(int, char**)'],
  ['_ZN2v88internal7Isolate4InitEPNS0_12SnapshotDataEPNS0_8SnapshotE', 'v8::internal::Isolate::Init(v8::internal::SnapshotData*, v8::internal::Snapshot*)'],
  ['_ZNKSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEE4sizeEv', 'std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >::size() const'],
  ['_ZN1AIiE1fILi3EEEvv', 'void A<int>::f<3>()'],
  ['_ZNSt10unique_ptrI3FooSt14default_deleteIS0_EED2Ev', 'std::unique_ptr<Foo, std::default_delete<Foo> >::~unique_ptr()'],
  ['_ZNSaIcEC1Ev', 'std::allocator<char>::allocator()'],
  ['_ZNSsC1EPKcRKSaIcE', 'std::basic_string<char, std::char_traits<char>, std::allocator<char> >::basic_string(char const*, std::allocator<char> const&)'],
  ['_ZN2v88internal7LogFile14MessageBuilderlsIPKcEERS2_T_', 'v8::internal::LogFile::MessageBuilder& v8::internal::LogFile::MessageBuilder::operator<< <char const*>(char const*)'],
  ['_ZN2v88internal8compiler12PipelineImpl3RunINS1_17GraphBuilderPhaseEJEEEDaDpOT0_', 'auto v8::internal::compiler::PipelineImpl::Run<v8::internal::compiler::GraphBuilderPhase>()'],
  ['_ZThn8_N3Foo3barEv', 'non-virtual thunk to Foo::bar()'],
  ['_ZTV3Foo', 'vtable for Foo'],
  ['_ZGTtNKSt9exception4whatEv', 'transaction clone for std::exception::what() const'],
];

test('Itanium names demangle as c++filt prints them', () => {
  for (const [mangled, want] of CASES) assert.equal(demangle(mangled), want, mangled);
});

test('C names, and mangled names it does not understand, come back unchanged', () => {
  assert.equal(demangle('main'), 'main');
  assert.equal(demangle('__libc_start_call_main'), '__libc_start_call_main');
  assert.equal(demangle('_Z'), '_Z');
  assert.equal(demangle('_Zfoo'), '_Zfoo');
  assert.equal(demangle('_Z3fo'), '_Z3fo');
  assert.equal(demangle('_Z3fooi_junk'), '_Z3fooi_junk');
});

// __cxa_demangle (what bcc, so bpftrace, calls) prints std::string where c++filt, in its verbose
// mode, spells out std::basic_string<…>: compare modulo that.
function terse(x: string): string {
  return x
    .replaceAll('std::basic_string<char, std::char_traits<char>, std::allocator<char> >', 'std::string')
    .replaceAll('std::basic_ostream<char, std::char_traits<char> >', 'std::ostream')
    .replaceAll('std::basic_istream<char, std::char_traits<char> >', 'std::istream')
    .replaceAll('std::basic_iostream<char, std::char_traits<char> >', 'std::iostream')
    .replace(/(std::(?:string|[io]+stream)) >/g, '$1>');
}

const LIBSTDCXX = '/usr/lib/x86_64-linux-gnu/libstdc++.so.6';
const haveTools = (() => {
  try {
    execFileSync('c++filt', ['--version'], { stdio: 'ignore' });
    return existsSync(LIBSTDCXX);
  } catch {
    return false;
  }
})();

test('every C++ function of libstdc++: as c++filt, or unchanged — never a wrong name', { skip: haveTools ? false : 'needs c++filt and libstdc++' }, () => {
  const elf = ElfFile.open(LIBSTDCXX);
  const names = [...new Set(elf.dynamicSymbols().filter((s) => s.name.startsWith('_Z') && s.sectionIndex !== 0).map((s) => s.name))];
  assert.ok(names.length > 1000);
  const want = execFileSync('c++filt', { input: names.join('\n') + '\n', maxBuffer: 64 << 20 }).toString().split('\n');
  let same = 0;
  const wrong: string[] = [];
  names.forEach((n, i) => {
    const got = demangle(n);
    if (got === n) same++;
    else if (terse(got) !== terse(want[i]!)) wrong.push(`${n}\n  got  ${got}\n  want ${want[i]}`);
  });
  assert.deepEqual(wrong, []);
  assert.ok(same / names.length < 0.02, `${same} of ${names.length} left mangled`);
});
