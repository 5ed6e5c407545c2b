probes 2
map @ (AT_) percpu_array key 4B value 8B max 1; value count_t
map .events (.events) ringbuf key 0B value 0B max 1048576; value none
map .lost (.lost) percpu_array key 4B value 8B max 1; value uint64
event 0 unwatch
event 1 watch 0
event 2 watch 1

; w_increment: watchpoint:/bin/x:increment:1:4:w → perf_event
; 5:33
   0: (62) *(u32 *)(r10 -8) = 0
   1: (18) r1 = map[@]
   3: (bf) r2 = r10
   4: (07) r2 += -8
   5: (85) call bpf_map_lookup_elem#1
   6: (15) if r0 == 0x0 goto pc+3 <w_increment.bb3>
   7: (79) r1 = *(u64 *)(r0 +0)
   8: (07) r1 += 1
   9: (7b) *(u64 *)(r0 +0) = r1
; 5:54
w_increment.bb3:
  10: (b7) r6 = 16
; 5:46
  11: (18) r1 = map[.events]
  13: (b7) r2 = 16
  14: (b7) r3 = 0
  15: (85) call bpf_ringbuf_reserve#131
  16: (15) if r0 == 0x0 goto pc+8 <w_increment.bb5>
  17: (62) *(u32 *)(r0 +0) = 0
  18: (62) *(u32 *)(r0 +4) = 0
  19: (7b) *(u64 *)(r0 +8) = r6
  20: (bf) r1 = r0
  21: (b7) r2 = 0
  22: (85) call bpf_ringbuf_submit#132
; 5:31
w_increment.bb6:
  23: (b7) r0 = 0
  24: (95) exit
; 5:46
w_increment.bb5:
  25: (62) *(u32 *)(r10 -8) = 0
  26: (18) r1 = map[.lost]
  28: (bf) r2 = r10
  29: (07) r2 += -8
  30: (85) call bpf_map_lookup_elem#1
  31: (15) if r0 == 0x0 goto pc-9 <w_increment.bb6>
  32: (79) r1 = *(u64 *)(r0 +0)
  33: (07) r1 += 1
  34: (7b) *(u64 *)(r0 +0) = r1
  35: (05) goto pc-13 <w_increment.bb6>

; w_bump: asyncwatchpoint:/bin/x:bump:8:rw → perf_event
; 6:34
   0: (62) *(u32 *)(r10 -8) = 0
   1: (18) r1 = map[@]
   3: (bf) r2 = r10
   4: (07) r2 += -8
   5: (85) call bpf_map_lookup_elem#1
   6: (15) if r0 == 0x0 goto pc+3 <w_bump.bb3>
   7: (79) r1 = *(u64 *)(r0 +0)
   8: (07) r1 += 1
   9: (7b) *(u64 *)(r0 +0) = r1
; 6:32
w_bump.bb3:
  10: (b7) r0 = 0
  11: (95) exit

; ws_increment: watchpoint:/bin/x:increment:1:4:w (setup: uprobe:/bin/x:increment) → kprobe
; 5:1
   0: (79) r6 = *(u64 *)(r1 +104)
   1: (18) r1 = map[.events]
   3: (b7) r2 = 16
   4: (b7) r3 = 0
   5: (85) call bpf_ringbuf_reserve#131
   6: (bf) r7 = r0
   7: (15) if r7 == 0x0 goto pc+10 <ws_increment.bb2>
   8: (62) *(u32 *)(r7 +0) = 1
   9: (62) *(u32 *)(r7 +4) = 0
  10: (b7) r1 = 19
  11: (85) call bpf_send_signal#109
  12: (7b) *(u64 *)(r7 +8) = r6
  13: (bf) r1 = r7
  14: (b7) r2 = 0
  15: (85) call bpf_ringbuf_submit#132
ws_increment.bb3:
  16: (b7) r0 = 0
  17: (95) exit
ws_increment.bb2:
  18: (62) *(u32 *)(r10 -8) = 0
  19: (18) r1 = map[.lost]
  21: (bf) r2 = r10
  22: (07) r2 += -8
  23: (85) call bpf_map_lookup_elem#1
  24: (15) if r0 == 0x0 goto pc-9 <ws_increment.bb3>
  25: (79) r1 = *(u64 *)(r0 +0)
  26: (07) r1 += 1
  27: (7b) *(u64 *)(r0 +0) = r1
  28: (05) goto pc-13 <ws_increment.bb3>

; ws_bump: asyncwatchpoint:/bin/x:bump:8:rw (setup: uprobe:/bin/x:bump) → kprobe
; 6:1
   0: (79) r6 = *(u64 *)(r1 +112)
   1: (18) r1 = map[.events]
   3: (b7) r2 = 16
   4: (b7) r3 = 0
   5: (85) call bpf_ringbuf_reserve#131
   6: (15) if r0 == 0x0 goto pc+8 <ws_bump.bb2>
   7: (62) *(u32 *)(r0 +0) = 2
   8: (62) *(u32 *)(r0 +4) = 0
   9: (7b) *(u64 *)(r0 +8) = r6
  10: (bf) r1 = r0
  11: (b7) r2 = 0
  12: (85) call bpf_ringbuf_submit#132
ws_bump.bb3:
  13: (b7) r0 = 0
  14: (95) exit
ws_bump.bb2:
  15: (62) *(u32 *)(r10 -8) = 0
  16: (18) r1 = map[.lost]
  18: (bf) r2 = r10
  19: (07) r2 += -8
  20: (85) call bpf_map_lookup_elem#1
  21: (15) if r0 == 0x0 goto pc-9 <ws_bump.bb3>
  22: (79) r1 = *(u64 *)(r0 +0)
  23: (07) r1 += 1
  24: (7b) *(u64 *)(r0 +0) = r1
  25: (05) goto pc-13 <ws_bump.bb3>
