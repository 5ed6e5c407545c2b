probes 1
map @n (AT_n) hash key 8B value 8B max 4096; key int64 value int64
map @c (AT_c) percpu_hash key 24B value 8B max 4096; key (string[16], kstack) value count_t
map .events (.events) ringbuf key 0B value 0B max 1048576; value none
map .lost (.lost) percpu_array key 4B value 8B max 1; value uint64
map .stacks_127 (.stacks_127) stack_trace key 4B value 1016B max 4096; key uint32 value uint64[127]
event 0 helper_error map_update_elem at 6:3-22
event 1 helper_error map_delete_elem at 7:3-16
event 2 helper_error get_current_comm at 8:6-10
event 3 helper_error get_stackid at 8:12-18
event 4 helper_error map_update_elem at 8:22-29
event 5 printf "%d %s\n" args int64@8 string[64]@16 size 80

; t_sys_enter_ope: tracepoint:syscalls:sys_enter_openat → tracepoint
   0: (bf) r6 = r1
; 6:21
   1: (b7) r0 = 1
; 6:6
   2: (79) r1 = *(u64 *)(r6 +32)
   3: (7b) *(u64 *)(r10 -32) = r1
; 6:3
   4: (7b) *(u64 *)(r10 -24) = r0
   5: (18) r1 = map[@n]
   7: (bf) r2 = r10
   8: (07) r2 += -32
   9: (bf) r3 = r10
  10: (07) r3 += -24
  11: (b7) r4 = 0
  12: (85) call bpf_map_update_elem#2
  13: (76) if w0 s>= 0x0 goto pc+15 <t_sys_enter_ope.bb2>
  14: (bf) r7 = r0
  15: (67) r7 <<= 32
  16: (c7) r7 s>>= 32
  17: (18) r1 = map[.events]
  19: (b7) r2 = 16
  20: (b7) r3 = 0
  21: (85) call bpf_ringbuf_reserve#131
  22: (15) if r0 == 0x0 goto pc+120 <t_sys_enter_ope.bb4>
  23: (62) *(u32 *)(r0 +0) = 0
  24: (62) *(u32 *)(r0 +4) = 0
  25: (7b) *(u64 *)(r0 +8) = r7
  26: (bf) r1 = r0
  27: (b7) r2 = 0
  28: (85) call bpf_ringbuf_submit#132
; 7:13
t_sys_enter_ope.bb2:
  29: (b7) r0 = 2
  30: (7b) *(u64 *)(r10 -32) = r0
; 7:3
  31: (18) r1 = map[@n]
  33: (bf) r2 = r10
  34: (07) r2 += -32
  35: (85) call bpf_map_delete_elem#3
  36: (76) if w0 s>= 0x0 goto pc+15 <t_sys_enter_ope.bb8>
  37: (bf) r7 = r0
  38: (67) r7 <<= 32
  39: (c7) r7 s>>= 32
  40: (18) r1 = map[.events]
  42: (b7) r2 = 16
  43: (b7) r3 = 0
  44: (85) call bpf_ringbuf_reserve#131
  45: (15) if r0 == 0x0 goto pc+108 <t_sys_enter_ope.bb10>
  46: (62) *(u32 *)(r0 +0) = 1
  47: (62) *(u32 *)(r0 +4) = 0
  48: (7b) *(u64 *)(r0 +8) = r7
  49: (bf) r1 = r0
  50: (b7) r2 = 0
  51: (85) call bpf_ringbuf_submit#132
; 8:6
t_sys_enter_ope.bb8:
  52: (bf) r1 = r10
  53: (07) r1 += -32
  54: (b7) r2 = 16
  55: (85) call bpf_get_current_comm#16
  56: (76) if w0 s>= 0x0 goto pc+15 <t_sys_enter_ope.bb14>
  57: (bf) r7 = r0
  58: (67) r7 <<= 32
  59: (c7) r7 s>>= 32
  60: (18) r1 = map[.events]
  62: (b7) r2 = 16
  63: (b7) r3 = 0
  64: (85) call bpf_ringbuf_reserve#131
  65: (15) if r0 == 0x0 goto pc+99 <t_sys_enter_ope.bb16>
  66: (62) *(u32 *)(r0 +0) = 2
  67: (62) *(u32 *)(r0 +4) = 0
  68: (7b) *(u64 *)(r0 +8) = r7
  69: (bf) r1 = r0
  70: (b7) r2 = 0
  71: (85) call bpf_ringbuf_submit#132
; 8:12
t_sys_enter_ope.bb14:
  72: (bf) r1 = r6
  73: (18) r2 = map[.stacks_127]
  75: (b7) r3 = 0
  76: (85) call bpf_get_stackid#27
  77: (bf) r7 = r0
  78: (76) if w7 s>= 0x0 goto pc+15 <t_sys_enter_ope.bb20>
  79: (bf) r8 = r7
  80: (67) r8 <<= 32
  81: (c7) r8 s>>= 32
  82: (18) r1 = map[.events]
  84: (b7) r2 = 16
  85: (b7) r3 = 0
  86: (85) call bpf_ringbuf_reserve#131
  87: (15) if r0 == 0x0 goto pc+88 <t_sys_enter_ope.bb22>
  88: (62) *(u32 *)(r0 +0) = 3
  89: (62) *(u32 *)(r0 +4) = 0
  90: (7b) *(u64 *)(r0 +8) = r8
  91: (bf) r1 = r0
  92: (b7) r2 = 0
  93: (85) call bpf_ringbuf_submit#132
t_sys_enter_ope.bb20:
  94: (7b) *(u64 *)(r10 -16) = r7
; 8:3
  95: (18) r1 = map[@c]
  97: (bf) r2 = r10
  98: (07) r2 += -32
  99: (85) call bpf_map_lookup_elem#1
 100: (15) if r0 == 0x0 goto pc+86 <t_sys_enter_ope.bb26>
 101: (79) r1 = *(u64 *)(r0 +0)
 102: (07) r1 += 1
 103: (7b) *(u64 *)(r0 +0) = r1
; 9:24
t_sys_enter_ope.bb27:
 104: (b7) r0 = 3
 105: (7b) *(u64 *)(r10 -32) = r0
; 9:21
 106: (18) r1 = map[@n]
 108: (bf) r2 = r10
 109: (07) r2 += -32
 110: (85) call bpf_map_lookup_elem#1
 111: (b7) r7 = 0
 112: (15) if r0 == 0x0 goto pc+1 <t_sys_enter_ope.bb35>
 113: (79) r7 = *(u64 *)(r0 +0)
; 9:32
t_sys_enter_ope.bb35:
 114: (79) r8 = *(u64 *)(r6 +24)
; 9:3
 115: (18) r1 = map[.events]
 117: (b7) r2 = 80
 118: (b7) r3 = 0
 119: (85) call bpf_ringbuf_reserve#131
 120: (bf) r6 = r0
 121: (15) if r6 == 0x0 goto pc+102 <t_sys_enter_ope.bb37>
 122: (62) *(u32 *)(r6 +0) = 5
 123: (62) *(u32 *)(r6 +4) = 0
 124: (7b) *(u64 *)(r6 +8) = r7
 125: (7a) *(u64 *)(r6 +16) = 0
 126: (7a) *(u64 *)(r6 +24) = 0
 127: (7a) *(u64 *)(r6 +32) = 0
 128: (7a) *(u64 *)(r6 +40) = 0
 129: (7a) *(u64 *)(r6 +48) = 0
 130: (7a) *(u64 *)(r6 +56) = 0
 131: (7a) *(u64 *)(r6 +64) = 0
 132: (7a) *(u64 *)(r6 +72) = 0
 133: (bf) r1 = r6
 134: (07) r1 += 16
 135: (bf) r3 = r8
 136: (b7) r2 = 64
 137: (85) call bpf_probe_read_user_str#114
 138: (bf) r1 = r6
 139: (b7) r2 = 0
 140: (85) call bpf_ringbuf_submit#132
; 5:38
t_sys_enter_ope.bb38:
 141: (b7) r0 = 0
 142: (95) exit
; 6:3
t_sys_enter_ope.bb4:
 143: (62) *(u32 *)(r10 -32) = 0
 144: (18) r1 = map[.lost]
 146: (bf) r2 = r10
 147: (07) r2 += -32
 148: (85) call bpf_map_lookup_elem#1
 149: (15) if r0 == 0x0 goto pc-121 <t_sys_enter_ope.bb2>
 150: (79) r1 = *(u64 *)(r0 +0)
 151: (07) r1 += 1
 152: (7b) *(u64 *)(r0 +0) = r1
 153: (05) goto pc-125 <t_sys_enter_ope.bb2>
; 7:3
t_sys_enter_ope.bb10:
 154: (62) *(u32 *)(r10 -32) = 0
 155: (18) r1 = map[.lost]
 157: (bf) r2 = r10
 158: (07) r2 += -32
 159: (85) call bpf_map_lookup_elem#1
 160: (15) if r0 == 0x0 goto pc-109 <t_sys_enter_ope.bb8>
 161: (79) r1 = *(u64 *)(r0 +0)
 162: (07) r1 += 1
 163: (7b) *(u64 *)(r0 +0) = r1
 164: (05) goto pc-113 <t_sys_enter_ope.bb8>
; 8:6
t_sys_enter_ope.bb16:
 165: (62) *(u32 *)(r10 -8) = 0
 166: (18) r1 = map[.lost]
 168: (bf) r2 = r10
 169: (07) r2 += -8
 170: (85) call bpf_map_lookup_elem#1
 171: (15) if r0 == 0x0 goto pc-100 <t_sys_enter_ope.bb14>
 172: (79) r1 = *(u64 *)(r0 +0)
 173: (07) r1 += 1
 174: (7b) *(u64 *)(r0 +0) = r1
 175: (05) goto pc-104 <t_sys_enter_ope.bb14>
; 8:12
t_sys_enter_ope.bb22:
 176: (62) *(u32 *)(r10 -8) = 0
 177: (18) r1 = map[.lost]
 179: (bf) r2 = r10
 180: (07) r2 += -8
 181: (85) call bpf_map_lookup_elem#1
 182: (15) if r0 == 0x0 goto pc-89 <t_sys_enter_ope.bb20>
 183: (79) r1 = *(u64 *)(r0 +0)
 184: (07) r1 += 1
 185: (7b) *(u64 *)(r0 +0) = r1
 186: (05) goto pc-93 <t_sys_enter_ope.bb20>
; 8:3
t_sys_enter_ope.bb26:
 187: (7a) *(u64 *)(r10 -8) = 1
 188: (18) r1 = map[@c]
 190: (bf) r2 = r10
 191: (07) r2 += -32
 192: (bf) r3 = r10
 193: (07) r3 += -8
 194: (b7) r4 = 0
 195: (85) call bpf_map_update_elem#2
 196: (76) if w0 s>= 0x0 goto pc-93 <t_sys_enter_ope.bb27>
 197: (bf) r7 = r0
 198: (67) r7 <<= 32
 199: (c7) r7 s>>= 32
 200: (18) r1 = map[.events]
 202: (b7) r2 = 16
 203: (b7) r3 = 0
 204: (85) call bpf_ringbuf_reserve#131
 205: (15) if r0 == 0x0 goto pc+7 <t_sys_enter_ope.bb31>
 206: (62) *(u32 *)(r0 +0) = 4
 207: (62) *(u32 *)(r0 +4) = 0
 208: (7b) *(u64 *)(r0 +8) = r7
 209: (bf) r1 = r0
 210: (b7) r2 = 0
 211: (85) call bpf_ringbuf_submit#132
 212: (05) goto pc-109 <t_sys_enter_ope.bb27>
t_sys_enter_ope.bb31:
 213: (62) *(u32 *)(r10 -32) = 0
 214: (18) r1 = map[.lost]
 216: (bf) r2 = r10
 217: (07) r2 += -32
 218: (85) call bpf_map_lookup_elem#1
 219: (15) if r0 == 0x0 goto pc-116 <t_sys_enter_ope.bb27>
 220: (79) r1 = *(u64 *)(r0 +0)
 221: (07) r1 += 1
 222: (7b) *(u64 *)(r0 +0) = r1
 223: (05) goto pc-120 <t_sys_enter_ope.bb27>
; 9:3
t_sys_enter_ope.bb37:
 224: (62) *(u32 *)(r10 -32) = 0
 225: (18) r1 = map[.lost]
 227: (bf) r2 = r10
 228: (07) r2 += -32
 229: (85) call bpf_map_lookup_elem#1
 230: (15) if r0 == 0x0 goto pc-90 <t_sys_enter_ope.bb38>
 231: (79) r1 = *(u64 *)(r0 +0)
 232: (07) r1 += 1
 233: (7b) *(u64 *)(r0 +0) = r1
 234: (05) goto pc-94 <t_sys_enter_ope.bb38>
