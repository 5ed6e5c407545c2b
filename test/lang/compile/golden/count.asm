probes 1
map @ (AT_) percpu_array key 4B value 8B max 1; value count_t
map @by (AT_by) percpu_hash key 8B value 8B max 4096; key uint64 value count_t
map .events (.events) ringbuf key 0B value 0B max 1048576; value none
map .lost (.lost) percpu_array key 4B value 8B max 1; value uint64
event 0 exit

; BEGIN: BEGIN → raw_tracepoint
; 2:9
   0: (62) *(u32 *)(r10 -16) = 0
   1: (18) r1 = map[@]
   3: (bf) r2 = r10
   4: (07) r2 += -16
   5: (85) call bpf_map_lookup_elem#1
   6: (55) if r0 != 0x0 goto pc+47 <BEGIN.bb1>
; 2:26
BEGIN.bb3:
   7: (85) call bpf_get_current_pid_tgid#14
   8: (77) r0 >>= 32
   9: (7b) *(u64 *)(r10 -16) = r0
; 2:22
  10: (18) r1 = map[@by]
  12: (bf) r2 = r10
  13: (07) r2 += -16
  14: (85) call bpf_map_lookup_elem#1
  15: (55) if r0 != 0x0 goto pc+34 <BEGIN.bb4>
  16: (7a) *(u64 *)(r10 -8) = 1
  17: (18) r1 = map[@by]
  19: (bf) r2 = r10
  20: (07) r2 += -16
  21: (bf) r3 = r10
  22: (07) r3 += -8
  23: (b7) r4 = 0
  24: (85) call bpf_map_update_elem#2
; 2:42
BEGIN.bb6:
  25: (18) r1 = map[.events]
  27: (b7) r2 = 8
  28: (b7) r3 = 0
  29: (85) call bpf_ringbuf_reserve#131
  30: (55) if r0 != 0x0 goto pc+13 <BEGIN.bb7>
  31: (62) *(u32 *)(r10 -16) = 0
  32: (18) r1 = map[.lost]
  34: (bf) r2 = r10
  35: (07) r2 += -16
  36: (85) call bpf_map_lookup_elem#1
  37: (55) if r0 != 0x0 goto pc+2 <BEGIN.bb10>
BEGIN.bb9:
  38: (b7) r0 = 0
  39: (95) exit
BEGIN.bb10:
  40: (79) r1 = *(u64 *)(r0 +0)
  41: (07) r1 += 1
  42: (7b) *(u64 *)(r0 +0) = r1
  43: (05) goto pc-6 <BEGIN.bb9>
BEGIN.bb7:
  44: (62) *(u32 *)(r0 +0) = 0
  45: (62) *(u32 *)(r0 +4) = 0
  46: (bf) r1 = r0
  47: (b7) r2 = 0
  48: (85) call bpf_ringbuf_submit#132
  49: (05) goto pc-12 <BEGIN.bb9>
; 2:22
BEGIN.bb4:
  50: (79) r1 = *(u64 *)(r0 +0)
  51: (07) r1 += 1
  52: (7b) *(u64 *)(r0 +0) = r1
  53: (05) goto pc-29 <BEGIN.bb6>
; 2:9
BEGIN.bb1:
  54: (79) r1 = *(u64 *)(r0 +0)
  55: (07) r1 += 1
  56: (7b) *(u64 *)(r0 +0) = r1
  57: (05) goto pc-51 <BEGIN.bb3>
