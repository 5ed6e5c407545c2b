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
   5: (55) if r0 != 0x0 goto pc+36 <BEGIN.bb1>
   6: (62) *(u32 *)(r10 -8) = 0
   7: (18) r1 = map[.lost]
   9: (bf) r2 = r10
  10: (07) r2 += -8
  11: (85) call bpf_map_lookup_elem#1
  12: (55) if r0 != 0x0 goto pc+25 <BEGIN.bb4>
; 2:28
BEGIN.bb3:
  13: (18) r1 = map[.events]
  15: (b7) r2 = 8
  16: (b7) r3 = 0
  17: (85) call bpf_ringbuf_reserve#131
  18: (55) if r0 != 0x0 goto pc+13 <BEGIN.bb5>
  19: (62) *(u32 *)(r10 -8) = 0
  20: (18) r1 = map[.lost]
  22: (bf) r2 = r10
  23: (07) r2 += -8
  24: (85) call bpf_map_lookup_elem#1
  25: (55) if r0 != 0x0 goto pc+2 <BEGIN.bb8>
BEGIN.bb7:
  26: (b7) r0 = 0
  27: (95) exit
BEGIN.bb8:
  28: (79) r1 = *(u64 *)(r0 +0)
  29: (07) r1 += 1
  30: (7b) *(u64 *)(r0 +0) = r1
  31: (05) goto pc-6 <BEGIN.bb7>
BEGIN.bb5:
  32: (62) *(u32 *)(r0 +0) = 1
  33: (62) *(u32 *)(r0 +4) = 0
  34: (bf) r1 = r0
  35: (b7) r2 = 0
  36: (85) call bpf_ringbuf_submit#132
  37: (05) goto pc-12 <BEGIN.bb7>
; 2:9
BEGIN.bb4:
  38: (79) r1 = *(u64 *)(r0 +0)
  39: (07) r1 += 1
  40: (7b) *(u64 *)(r0 +0) = r1
  41: (05) goto pc-29 <BEGIN.bb3>
BEGIN.bb1:
  42: (62) *(u32 *)(r0 +0) = 0
  43: (62) *(u32 *)(r0 +4) = 0
  44: (bf) r1 = r0
  45: (b7) r2 = 0
  46: (85) call bpf_ringbuf_submit#132
  47: (05) goto pc-35 <BEGIN.bb3>
