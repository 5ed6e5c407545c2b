probes 17
map @ (AT_) percpu_hash key 8B value 8B max 4096; key probe value count_t

; sys_enter_all: tracepoint:syscalls:sys_enter_* → raw_tracepoint
; 2:1
   0: (79) r8 = *(u64 *)(r1 +8)
   1: (b5) if r8 <= 0x101 goto pc+2 <sys_enter_all.bb2>
sys_enter_all.bb1:
   2: (b7) r0 = 0
   3: (95) exit
sys_enter_all.bb2:
   4: (bf) r6 = r8
   5: (77) r6 >>= 6
   6: (bf) r7 = r8
   7: (57) r7 &= 63
   8: (55) if r6 != 0x0 goto pc+33 <sys_enter_all.bb5>
   9: (18) r0 = 0x800000000011fff
sys_enter_all.bb3:
  11: (7f) r0 >>= r7
  12: (57) r0 &= 1
  13: (15) if r0 == 0x0 goto pc-12 <sys_enter_all.bb1>
; 2:34
  14: (85) call bpf_get_current_pid_tgid#14
  15: (77) r0 >>= 32
  16: (15) if r0 == 0x0 goto pc+23 <sys_enter_all.bb10>
; 2:48
  17: (07) r8 += 17
  18: (7b) *(u64 *)(r10 -16) = r8
; 2:46
  19: (18) r1 = map[@]
  21: (bf) r2 = r10
  22: (07) r2 += -16
  23: (85) call bpf_map_lookup_elem#1
  24: (15) if r0 == 0x0 goto pc+5 <sys_enter_all.bb12>
  25: (79) r1 = *(u64 *)(r0 +0)
  26: (07) r1 += 1
  27: (7b) *(u64 *)(r0 +0) = r1
; 2:44
sys_enter_all.bb13:
  28: (b7) r0 = 0
  29: (95) exit
; 2:46
sys_enter_all.bb12:
  30: (7a) *(u64 *)(r10 -8) = 1
  31: (18) r1 = map[@]
  33: (bf) r2 = r10
  34: (07) r2 += -16
  35: (bf) r3 = r10
  36: (07) r3 += -8
  37: (b7) r4 = 0
  38: (85) call bpf_map_update_elem#2
  39: (05) goto pc-12 <sys_enter_all.bb13>
; 2:34
sys_enter_all.bb10:
  40: (b7) r0 = 0
  41: (95) exit
; 2:1
sys_enter_all.bb5:
  42: (55) if r6 != 0x4 goto pc-41 <sys_enter_all.bb1>
  43: (b7) r0 = 2
  44: (05) goto pc-34 <sys_enter_all.bb3>

; t_sys_enter_new: tracepoint:syscalls:sys_enter_newfstat → tracepoint
; 2:34
   0: (85) call bpf_get_current_pid_tgid#14
   1: (77) r0 >>= 32
   2: (15) if r0 == 0x0 goto pc+23 <t_sys_enter_new.bb2>
; 2:48
   3: (b7) r0 = 10
   4: (7b) *(u64 *)(r10 -16) = r0
; 2:46
   5: (18) r1 = map[@]
   7: (bf) r2 = r10
   8: (07) r2 += -16
   9: (85) call bpf_map_lookup_elem#1
  10: (15) if r0 == 0x0 goto pc+5 <t_sys_enter_new.bb4>
  11: (79) r1 = *(u64 *)(r0 +0)
  12: (07) r1 += 1
  13: (7b) *(u64 *)(r0 +0) = r1
; 2:44
t_sys_enter_new.bb5:
  14: (b7) r0 = 0
  15: (95) exit
; 2:46
t_sys_enter_new.bb4:
  16: (7a) *(u64 *)(r10 -8) = 1
  17: (18) r1 = map[@]
  19: (bf) r2 = r10
  20: (07) r2 += -16
  21: (bf) r3 = r10
  22: (07) r3 += -8
  23: (b7) r4 = 0
  24: (85) call bpf_map_update_elem#2
  25: (05) goto pc-12 <t_sys_enter_new.bb5>
; 2:34
t_sys_enter_new.bb2:
  26: (b7) r0 = 0
  27: (95) exit
