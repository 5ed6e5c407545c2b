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
   6: (15) if r0 == 0x0 goto pc+3 <BEGIN.bb3>
   7: (79) r1 = *(u64 *)(r0 +0)
   8: (07) r1 += 1
   9: (7b) *(u64 *)(r0 +0) = r1
; 2:26
BEGIN.bb3:
  10: (85) call bpf_get_current_pid_tgid#14
  11: (77) r0 >>= 32
  12: (7b) *(u64 *)(r10 -16) = r0
; 2:22
  13: (18) r1 = map[@by]
  15: (bf) r2 = r10
  16: (07) r2 += -16
  17: (85) call bpf_map_lookup_elem#1
  18: (15) if r0 == 0x0 goto pc+16 <BEGIN.bb5>
  19: (79) r1 = *(u64 *)(r0 +0)
  20: (07) r1 += 1
  21: (7b) *(u64 *)(r0 +0) = r1
; 2:42
BEGIN.bb6:
  22: (18) r1 = map[.events]
  24: (b7) r2 = 8
  25: (b7) r3 = 0
  26: (85) call bpf_ringbuf_reserve#131
  27: (15) if r0 == 0x0 goto pc+17 <BEGIN.bb8>
  28: (62) *(u32 *)(r0 +0) = 0
  29: (62) *(u32 *)(r0 +4) = 0
  30: (bf) r1 = r0
  31: (b7) r2 = 0
  32: (85) call bpf_ringbuf_submit#132
BEGIN.bb9:
  33: (b7) r0 = 0
  34: (95) exit
; 2:22
BEGIN.bb5:
  35: (7a) *(u64 *)(r10 -8) = 1
  36: (18) r1 = map[@by]
  38: (bf) r2 = r10
  39: (07) r2 += -16
  40: (bf) r3 = r10
  41: (07) r3 += -8
  42: (b7) r4 = 0
  43: (85) call bpf_map_update_elem#2
  44: (05) goto pc-23 <BEGIN.bb6>
; 2:42
BEGIN.bb8:
  45: (62) *(u32 *)(r10 -16) = 0
  46: (18) r1 = map[.lost]
  48: (bf) r2 = r10
  49: (07) r2 += -16
  50: (85) call bpf_map_lookup_elem#1
  51: (15) if r0 == 0x0 goto pc-19 <BEGIN.bb9>
  52: (79) r1 = *(u64 *)(r0 +0)
  53: (07) r1 += 1
  54: (7b) *(u64 *)(r0 +0) = r1
  55: (05) goto pc-23 <BEGIN.bb9>
