probes 1
map .events (.events) ringbuf key 0B value 0B max 1048576; value none
map .lost (.lost) percpu_array key 4B value 8B max 1; value uint64
event 0 printf "%-6d %-16s %s\n" args uint64@8 string[16]@16 string[64]@32 size 96

; t_sys_enter_ope: tracepoint:syscalls:sys_enter_openat → tracepoint
   0: (bf) r6 = r1
; 2:66
   1: (85) call bpf_get_current_pid_tgid#14
   2: (bf) r7 = r0
   3: (77) r7 >>= 32
; 2:81
   4: (79) r6 = *(u64 *)(r6 +24)
; 2:40
   5: (18) r1 = map[.events]
   7: (b7) r2 = 96
   8: (b7) r3 = 0
   9: (85) call bpf_ringbuf_reserve#131
  10: (bf) r8 = r0
  11: (15) if r8 == 0x0 goto pc+25 <t_sys_enter_ope.bb2>
  12: (62) *(u32 *)(r8 +0) = 0
  13: (62) *(u32 *)(r8 +4) = 0
  14: (7b) *(u64 *)(r8 +8) = r7
; 2:71
  15: (bf) r1 = r8
  16: (07) r1 += 16
  17: (b7) r2 = 16
  18: (85) call bpf_get_current_comm#16
; 2:40
  19: (7a) *(u64 *)(r8 +32) = 0
  20: (7a) *(u64 *)(r8 +40) = 0
  21: (7a) *(u64 *)(r8 +48) = 0
  22: (7a) *(u64 *)(r8 +56) = 0
  23: (7a) *(u64 *)(r8 +64) = 0
  24: (7a) *(u64 *)(r8 +72) = 0
  25: (7a) *(u64 *)(r8 +80) = 0
  26: (7a) *(u64 *)(r8 +88) = 0
  27: (bf) r1 = r8
  28: (07) r1 += 32
  29: (bf) r3 = r6
  30: (b7) r2 = 64
  31: (85) call bpf_probe_read_user_str#114
  32: (bf) r1 = r8
  33: (b7) r2 = 0
  34: (85) call bpf_ringbuf_submit#132
; 2:38
t_sys_enter_ope.bb3:
  35: (b7) r0 = 0
  36: (95) exit
; 2:40
t_sys_enter_ope.bb2:
  37: (62) *(u32 *)(r10 -8) = 0
  38: (18) r1 = map[.lost]
  40: (bf) r2 = r10
  41: (07) r2 += -8
  42: (85) call bpf_map_lookup_elem#1
  43: (15) if r0 == 0x0 goto pc-9 <t_sys_enter_ope.bb3>
  44: (79) r1 = *(u64 *)(r0 +0)
  45: (07) r1 += 1
  46: (7b) *(u64 *)(r0 +0) = r1
  47: (05) goto pc-13 <t_sys_enter_ope.bb3>
