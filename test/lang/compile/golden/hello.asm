probes 1
map .events (.events) ringbuf key 0B value 0B max 1048576; value none
map .lost (.lost) percpu_array key 4B value 8B max 1; value uint64
event 0 printf "hello\n" args  size 8
event 1 exit

; BEGIN: BEGIN → raw_tracepoint
; 2:9
   0: (18) r1 = map[.events]
   2: (b7) r2 = 8
   3: (b7) r3 = 0
   4: (85) call bpf_ringbuf_reserve#131
   5: (15) if r0 == 0x0 goto pc+18 <BEGIN.bb2>
   6: (62) *(u32 *)(r0 +0) = 0
   7: (62) *(u32 *)(r0 +4) = 0
   8: (bf) r1 = r0
   9: (b7) r2 = 0
  10: (85) call bpf_ringbuf_submit#132
; 2:28
BEGIN.bb3:
  11: (18) r1 = map[.events]
  13: (b7) r2 = 8
  14: (b7) r3 = 0
  15: (85) call bpf_ringbuf_reserve#131
  16: (15) if r0 == 0x0 goto pc+18 <BEGIN.bb6>
  17: (62) *(u32 *)(r0 +0) = 1
  18: (62) *(u32 *)(r0 +4) = 0
  19: (bf) r1 = r0
  20: (b7) r2 = 0
  21: (85) call bpf_ringbuf_submit#132
BEGIN.bb7:
  22: (b7) r0 = 0
  23: (95) exit
; 2:9
BEGIN.bb2:
  24: (62) *(u32 *)(r10 -8) = 0
  25: (18) r1 = map[.lost]
  27: (bf) r2 = r10
  28: (07) r2 += -8
  29: (85) call bpf_map_lookup_elem#1
  30: (15) if r0 == 0x0 goto pc-20 <BEGIN.bb3>
  31: (79) r1 = *(u64 *)(r0 +0)
  32: (07) r1 += 1
  33: (7b) *(u64 *)(r0 +0) = r1
  34: (05) goto pc-24 <BEGIN.bb3>
; 2:28
BEGIN.bb6:
  35: (62) *(u32 *)(r10 -8) = 0
  36: (18) r1 = map[.lost]
  38: (bf) r2 = r10
  39: (07) r2 += -8
  40: (85) call bpf_map_lookup_elem#1
  41: (15) if r0 == 0x0 goto pc-20 <BEGIN.bb7>
  42: (79) r1 = *(u64 *)(r0 +0)
  43: (07) r1 += 1
  44: (7b) *(u64 *)(r0 +0) = r1
  45: (05) goto pc-24 <BEGIN.bb7>
