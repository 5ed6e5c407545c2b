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
event 5 helper_error map_lookup_elem at 9:21-26
event 6 helper_error probe_read_user_str at 9:28-47
event 7 printf "%d %s\n" args int64@8 string[64]@16 size 80

; t_sys_enter_ope: tracepoint:syscalls:sys_enter_openat → tracepoint
   0: (bf) r6 = r1
; 6:21
   1: (b7) r0 = 1
; 6:6
   2: (79) r1 = *(u64 *)(r6 +32)
   3: (7b) *(u64 *)(r10 -72) = r1
; 6:3
   4: (7b) *(u64 *)(r10 -64) = r0
   5: (18) r1 = map[@n]
   7: (bf) r2 = r10
   8: (07) r2 += -72
   9: (bf) r3 = r10
  10: (07) r3 += -64
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
  22: (15) if r0 == 0x0 goto pc+152 <t_sys_enter_ope.bb4>
  23: (62) *(u32 *)(r0 +0) = 0
  24: (62) *(u32 *)(r0 +4) = 0
  25: (7b) *(u64 *)(r0 +8) = r7
  26: (bf) r1 = r0
  27: (b7) r2 = 0
  28: (85) call bpf_ringbuf_submit#132
; 7:13
t_sys_enter_ope.bb2:
  29: (b7) r0 = 2
  30: (7b) *(u64 *)(r10 -72) = r0
; 7:3
  31: (18) r1 = map[@n]
  33: (bf) r2 = r10
  34: (07) r2 += -72
  35: (85) call bpf_map_delete_elem#3
  36: (76) if w0 s>= 0x0 goto pc+15 <t_sys_enter_ope.bb8>
  37: (bf) r7 = r0
  38: (67) r7 <<= 32
  39: (c7) r7 s>>= 32
  40: (18) r1 = map[.events]
  42: (b7) r2 = 16
  43: (b7) r3 = 0
  44: (85) call bpf_ringbuf_reserve#131
  45: (15) if r0 == 0x0 goto pc+140 <t_sys_enter_ope.bb10>
  46: (62) *(u32 *)(r0 +0) = 1
  47: (62) *(u32 *)(r0 +4) = 0
  48: (7b) *(u64 *)(r0 +8) = r7
  49: (bf) r1 = r0
  50: (b7) r2 = 0
  51: (85) call bpf_ringbuf_submit#132
; 8:6
t_sys_enter_ope.bb8:
  52: (bf) r1 = r10
  53: (07) r1 += -72
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
  65: (15) if r0 == 0x0 goto pc+131 <t_sys_enter_ope.bb16>
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
  87: (15) if r0 == 0x0 goto pc+120 <t_sys_enter_ope.bb22>
  88: (62) *(u32 *)(r0 +0) = 3
  89: (62) *(u32 *)(r0 +4) = 0
  90: (7b) *(u64 *)(r0 +8) = r8
  91: (bf) r1 = r0
  92: (b7) r2 = 0
  93: (85) call bpf_ringbuf_submit#132
t_sys_enter_ope.bb20:
  94: (7b) *(u64 *)(r10 -56) = r7
; 8:3
  95: (18) r1 = map[@c]
  97: (bf) r2 = r10
  98: (07) r2 += -72
  99: (85) call bpf_map_lookup_elem#1
 100: (15) if r0 == 0x0 goto pc+118 <t_sys_enter_ope.bb26>
 101: (79) r1 = *(u64 *)(r0 +0)
 102: (07) r1 += 1
 103: (7b) *(u64 *)(r0 +0) = r1
; 9:24
t_sys_enter_ope.bb27:
 104: (b7) r0 = 3
 105: (7b) *(u64 *)(r10 -72) = r0
; 9:21
 106: (18) r1 = map[@n]
 108: (bf) r2 = r10
 109: (07) r2 += -72
 110: (85) call bpf_map_lookup_elem#1
 111: (bf) r7 = r0
 112: (15) if r7 == 0x0 goto pc+143 <t_sys_enter_ope.bb34>
t_sys_enter_ope.bb35:
 113: (b7) r8 = 0
 114: (15) if r7 == 0x0 goto pc+1 <t_sys_enter_ope.bb41>
 115: (79) r8 = *(u64 *)(r7 +0)
; 9:32
t_sys_enter_ope.bb41:
 116: (79) r3 = *(u64 *)(r6 +24)
; 9:28
 117: (7a) *(u64 *)(r10 -72) = 0
 118: (7a) *(u64 *)(r10 -64) = 0
 119: (7a) *(u64 *)(r10 -56) = 0
 120: (7a) *(u64 *)(r10 -48) = 0
 121: (7a) *(u64 *)(r10 -40) = 0
 122: (7a) *(u64 *)(r10 -32) = 0
 123: (7a) *(u64 *)(r10 -24) = 0
 124: (7a) *(u64 *)(r10 -16) = 0
 125: (bf) r1 = r10
 126: (07) r1 += -72
 127: (b7) r2 = 64
 128: (85) call bpf_probe_read_user_str#114
 129: (76) if w0 s>= 0x0 goto pc+15 <t_sys_enter_ope.bb43>
 130: (bf) r6 = r0
 131: (67) r6 <<= 32
 132: (c7) r6 s>>= 32
 133: (18) r1 = map[.events]
 135: (b7) r2 = 16
 136: (b7) r3 = 0
 137: (85) call bpf_ringbuf_reserve#131
 138: (15) if r0 == 0x0 goto pc+141 <t_sys_enter_ope.bb45>
 139: (62) *(u32 *)(r0 +0) = 6
 140: (62) *(u32 *)(r0 +4) = 0
 141: (7b) *(u64 *)(r0 +8) = r6
 142: (bf) r1 = r0
 143: (b7) r2 = 0
 144: (85) call bpf_ringbuf_submit#132
; 9:3
t_sys_enter_ope.bb43:
 145: (18) r1 = map[.events]
 147: (b7) r2 = 80
 148: (b7) r3 = 0
 149: (85) call bpf_ringbuf_reserve#131
 150: (15) if r0 == 0x0 goto pc+140 <t_sys_enter_ope.bb49>
 151: (62) *(u32 *)(r0 +0) = 7
 152: (62) *(u32 *)(r0 +4) = 0
 153: (7b) *(u64 *)(r0 +8) = r8
 154: (79) r1 = *(u64 *)(r10 -72)
 155: (7b) *(u64 *)(r0 +16) = r1
 156: (79) r1 = *(u64 *)(r10 -64)
 157: (7b) *(u64 *)(r0 +24) = r1
 158: (79) r1 = *(u64 *)(r10 -56)
 159: (7b) *(u64 *)(r0 +32) = r1
 160: (79) r1 = *(u64 *)(r10 -48)
 161: (7b) *(u64 *)(r0 +40) = r1
 162: (79) r1 = *(u64 *)(r10 -40)
 163: (7b) *(u64 *)(r0 +48) = r1
 164: (79) r1 = *(u64 *)(r10 -32)
 165: (7b) *(u64 *)(r0 +56) = r1
 166: (79) r1 = *(u64 *)(r10 -24)
 167: (7b) *(u64 *)(r0 +64) = r1
 168: (79) r1 = *(u64 *)(r10 -16)
 169: (7b) *(u64 *)(r0 +72) = r1
 170: (bf) r1 = r0
 171: (b7) r2 = 0
 172: (85) call bpf_ringbuf_submit#132
; 5:38
t_sys_enter_ope.bb50:
 173: (b7) r0 = 0
 174: (95) exit
; 6:3
t_sys_enter_ope.bb4:
 175: (62) *(u32 *)(r10 -72) = 0
 176: (18) r1 = map[.lost]
 178: (bf) r2 = r10
 179: (07) r2 += -72
 180: (85) call bpf_map_lookup_elem#1
 181: (15) if r0 == 0x0 goto pc-153 <t_sys_enter_ope.bb2>
 182: (79) r1 = *(u64 *)(r0 +0)
 183: (07) r1 += 1
 184: (7b) *(u64 *)(r0 +0) = r1
 185: (05) goto pc-157 <t_sys_enter_ope.bb2>
; 7:3
t_sys_enter_ope.bb10:
 186: (62) *(u32 *)(r10 -72) = 0
 187: (18) r1 = map[.lost]
 189: (bf) r2 = r10
 190: (07) r2 += -72
 191: (85) call bpf_map_lookup_elem#1
 192: (15) if r0 == 0x0 goto pc-141 <t_sys_enter_ope.bb8>
 193: (79) r1 = *(u64 *)(r0 +0)
 194: (07) r1 += 1
 195: (7b) *(u64 *)(r0 +0) = r1
 196: (05) goto pc-145 <t_sys_enter_ope.bb8>
; 8:6
t_sys_enter_ope.bb16:
 197: (62) *(u32 *)(r10 -48) = 0
 198: (18) r1 = map[.lost]
 200: (bf) r2 = r10
 201: (07) r2 += -48
 202: (85) call bpf_map_lookup_elem#1
 203: (15) if r0 == 0x0 goto pc-132 <t_sys_enter_ope.bb14>
 204: (79) r1 = *(u64 *)(r0 +0)
 205: (07) r1 += 1
 206: (7b) *(u64 *)(r0 +0) = r1
 207: (05) goto pc-136 <t_sys_enter_ope.bb14>
; 8:12
t_sys_enter_ope.bb22:
 208: (62) *(u32 *)(r10 -48) = 0
 209: (18) r1 = map[.lost]
 211: (bf) r2 = r10
 212: (07) r2 += -48
 213: (85) call bpf_map_lookup_elem#1
 214: (15) if r0 == 0x0 goto pc-121 <t_sys_enter_ope.bb20>
 215: (79) r1 = *(u64 *)(r0 +0)
 216: (07) r1 += 1
 217: (7b) *(u64 *)(r0 +0) = r1
 218: (05) goto pc-125 <t_sys_enter_ope.bb20>
; 8:3
t_sys_enter_ope.bb26:
 219: (7a) *(u64 *)(r10 -48) = 1
 220: (18) r1 = map[@c]
 222: (bf) r2 = r10
 223: (07) r2 += -72
 224: (bf) r3 = r10
 225: (07) r3 += -48
 226: (b7) r4 = 0
 227: (85) call bpf_map_update_elem#2
 228: (76) if w0 s>= 0x0 goto pc-125 <t_sys_enter_ope.bb27>
 229: (bf) r7 = r0
 230: (67) r7 <<= 32
 231: (c7) r7 s>>= 32
 232: (18) r1 = map[.events]
 234: (b7) r2 = 16
 235: (b7) r3 = 0
 236: (85) call bpf_ringbuf_reserve#131
 237: (15) if r0 == 0x0 goto pc+7 <t_sys_enter_ope.bb31>
 238: (62) *(u32 *)(r0 +0) = 4
 239: (62) *(u32 *)(r0 +4) = 0
 240: (7b) *(u64 *)(r0 +8) = r7
 241: (bf) r1 = r0
 242: (b7) r2 = 0
 243: (85) call bpf_ringbuf_submit#132
 244: (05) goto pc-141 <t_sys_enter_ope.bb27>
t_sys_enter_ope.bb31:
 245: (62) *(u32 *)(r10 -72) = 0
 246: (18) r1 = map[.lost]
 248: (bf) r2 = r10
 249: (07) r2 += -72
 250: (85) call bpf_map_lookup_elem#1
 251: (15) if r0 == 0x0 goto pc-148 <t_sys_enter_ope.bb27>
 252: (79) r1 = *(u64 *)(r0 +0)
 253: (07) r1 += 1
 254: (7b) *(u64 *)(r0 +0) = r1
 255: (05) goto pc-152 <t_sys_enter_ope.bb27>
; 9:21
t_sys_enter_ope.bb34:
 256: (18) r1 = map[.events]
 258: (b7) r2 = 16
 259: (b7) r3 = 0
 260: (85) call bpf_ringbuf_reserve#131
 261: (15) if r0 == 0x0 goto pc+7 <t_sys_enter_ope.bb37>
 262: (62) *(u32 *)(r0 +0) = 5
 263: (62) *(u32 *)(r0 +4) = 0
 264: (7a) *(u64 *)(r0 +8) = 0
 265: (bf) r1 = r0
 266: (b7) r2 = 0
 267: (85) call bpf_ringbuf_submit#132
 268: (05) goto pc-156 <t_sys_enter_ope.bb35>
t_sys_enter_ope.bb37:
 269: (62) *(u32 *)(r10 -72) = 0
 270: (18) r1 = map[.lost]
 272: (bf) r2 = r10
 273: (07) r2 += -72
 274: (85) call bpf_map_lookup_elem#1
 275: (15) if r0 == 0x0 goto pc-163 <t_sys_enter_ope.bb35>
 276: (79) r1 = *(u64 *)(r0 +0)
 277: (07) r1 += 1
 278: (7b) *(u64 *)(r0 +0) = r1
 279: (05) goto pc-167 <t_sys_enter_ope.bb35>
; 9:28
t_sys_enter_ope.bb45:
 280: (62) *(u32 *)(r10 -8) = 0
 281: (18) r1 = map[.lost]
 283: (bf) r2 = r10
 284: (07) r2 += -8
 285: (85) call bpf_map_lookup_elem#1
 286: (15) if r0 == 0x0 goto pc-142 <t_sys_enter_ope.bb43>
 287: (79) r1 = *(u64 *)(r0 +0)
 288: (07) r1 += 1
 289: (7b) *(u64 *)(r0 +0) = r1
 290: (05) goto pc-146 <t_sys_enter_ope.bb43>
; 9:3
t_sys_enter_ope.bb49:
 291: (62) *(u32 *)(r10 -72) = 0
 292: (18) r1 = map[.lost]
 294: (bf) r2 = r10
 295: (07) r2 += -72
 296: (85) call bpf_map_lookup_elem#1
 297: (15) if r0 == 0x0 goto pc-125 <t_sys_enter_ope.bb50>
 298: (79) r1 = *(u64 *)(r0 +0)
 299: (07) r1 += 1
 300: (7b) *(u64 *)(r0 +0) = r1
 301: (05) goto pc-129 <t_sys_enter_ope.bb50>
