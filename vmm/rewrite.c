/*
 * rewrite.c -- binary rewriting: critical instructions replaced in place by
 * words that trap, so that trap-and-emulate works again under an ill
 * variant.
 *
 * Under `ill` some sensitive instructions (srr, rdpsw, wrfl, rtu) are not
 * privileged: a guest in VIRTUAL system mode runs them in REAL user mode
 * without a trap, and gets user-mode behaviour (the real R, the real mode,
 * IE ignored, a mere jump).  The rewriter finds each such critical
 * instruction before it runs and replaces it by a patch word, an
 * undefined-opcode word whose low 24 bits index the patch table, where the
 * original is kept.  A patch word faults (illegal) when run; the
 * dispatcher asks vmm_rewrite_trap first, which finds the entry (the index
 * from the word the CPU reported, checked against the address: a guest's
 * own illegal word is reflected as usual) and emulates the ORIGINAL from
 * the table, never by fetching it again (decode once): by its interpreter
 * routine in virtual system mode, by the bare ill machine's user-mode
 * behaviour (cpu_exec_word on the virtual machine) in virtual user mode.
 *
 * Dynamic rewriting (the default under ill) uses the CPU's watch map, one
 * byte per word of the guest's memory (struct cpu.watch):
 *
 *   X  not scanned yet: a fetch traps; the monitor scans the block from
 *      there (up to and including the first control transfer, or up to a
 *      word already scanned), patches its critical instructions and runs on.
 *      Targets of computed jumps need nothing special: they trap the same.
 *   W  scanned: a store traps; the monitor puts the original back if the
 *      word was patched, marks it X again (it is scanned again when next
 *      fetched), and does the store by emulation (the store may be into its
 *      own word: re-running it would trap again).
 *   R  patched: a load traps; the monitor emulates it with the original in
 *      place, so a guest that checksums its own code sees no patch.
 *
 * Only the written word is forgotten, not its whole block: PG32
 * instructions are one aligned word each, so whether a word is critical
 * depends on that word alone (x86 monitors, with instructions of any length
 * that a store can re-cut, must drop whole blocks).  Code is scanned only
 * at 4-aligned guest physical addresses; while the guest's virtual base is
 * not a multiple of 4 its instructions straddle two map words, which may
 * hold patch words or scanned words a new alignment turns into a critical
 * instruction, so the monitor interprets it then, one instruction at a time
 * as the hybrid monitor does (rare, slow, and exact).
 *
 * Static rewriting patches every word of the image at load and watches
 * nothing: data that looks like a critical instruction is corrupted (the
 * guest loads the patch word), and code written at run time is never
 * patched.  It exists to show why.
 *
 * Bounds: the patch table has at most one live entry per word of the
 * guest's memory (freed entries are reused), and at most 2^24.
 */
#include "vmm.h"

#include <stdlib.h>
#include <string.h>

#define PATCH_TABLE_INITIAL 64u

const char *vmm_rewrite_name(enum vmm_rewrite_mode m)
{
	switch (m) {
	case VMM_REWRITE_AUTO: return "auto";
	case VMM_REWRITE_NONE: return "none";
	case VMM_REWRITE_STATIC: return "static";
	case VMM_REWRITE_DYNAMIC: return "dynamic";
	}
	return "?";
}

int vmm_rewrite_parse(const char *text, enum vmm_rewrite_mode *out)
{
	static const enum vmm_rewrite_mode modes[] = { VMM_REWRITE_NONE, VMM_REWRITE_STATIC,
	                                               VMM_REWRITE_DYNAMIC };
	for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
		if (strcmp(text, vmm_rewrite_name(modes[i])) == 0) {
			*out = modes[i];
			return 0;
		}
	}
	return PG32_EARG;
}

enum vmm_rewrite_mode vmm_rewrite_resolve(enum vmm_rewrite_mode m, isa_variant v, bool hybrid)
{
	if (m != VMM_REWRITE_AUTO)
		return m;
	if (hybrid)
		return VMM_REWRITE_NONE;
	return (v & isa_variant_all_ill()) ? VMM_REWRITE_DYNAMIC : VMM_REWRITE_NONE;
}

/* ---- the patch table ------------------------------------------------------ */

/* Is w a legal critical instruction of the rewriter's variant? */
static bool is_critical(const struct vmm_rewrite *rw, uint32_t w)
{
	struct isa_insn in;
	return isa_decode(w, &in) == 0 && (rw->critical & ISA_VARIANT_BIT(in.op));
}

/* Does w end a block: any transfer of control, anything that can change
 * R or the mode, anything that traps on purpose, an illegal word? */
static bool ends_block(uint32_t w)
{
	struct isa_insn in;
	return isa_decode(w, &in) != 0 || isa_ends_block(in.op);
}

/* Replace the word at guest physical addr (4-aligned) by a patch word.
 * Returns 0, or PG32_ENOMEM when the table is full or cannot grow. */
static int patch_word(struct vmm_guest *g, uint32_t addr)
{
	struct vmm_rewrite *rw = g->rw;
	uint32_t i;
	if (rw->free_head != VMM_PATCH_FREE) {
		i = rw->free_head;
		rw->free_head = rw->patch[i].original;
	} else {
		if (rw->npatch >= rw->max)
			return PG32_ENOMEM;
		if (rw->npatch == rw->cap) {
			uint32_t cap = rw->cap ? 2 * rw->cap : PATCH_TABLE_INITIAL;
			if (cap > rw->max)
				cap = rw->max;
			struct vmm_patch *grown = realloc(rw->patch, (size_t)cap * sizeof *grown);
			if (!grown)
				return PG32_ENOMEM;
			rw->patch = grown;
			rw->cap = cap;
		}
		i = rw->npatch++;
	}
	/* LAB rewrite BEGIN
	 * TODO: entry i of the patch table is yours.  Keep in it the guest
	 * physical address and the ORIGINAL word found there, then put the patch
	 * word VMM_PATCH_WORD(i) in its place in guest memory (g->vm.mem + addr,
	 * with pg32_load32 / pg32_store32), and count it in g->stats.patches.
	 * stub: (void)i, (void)addr;
	 */
	uint8_t *at = g->vm.mem + addr;
	rw->patch[i] = (struct vmm_patch){ .addr = addr, .original = pg32_load32(at) };
	pg32_store32(at, VMM_PATCH_WORD(i));
	g->stats.patches++;
	/* LAB rewrite END */
	return 0;
}

/* The patch table entry for the word w found at guest physical addr, or
 * NULL when w is not a patch word the monitor put there. */
static struct vmm_patch *patch_at(const struct vmm_guest *g, uint32_t addr, uint32_t w)
{
	/* LAB rewrite BEGIN
	 * TODO: is w one of the monitor's patch words for THIS address?  Its
	 * opcode must be ISA_OP_UNDEFINED (ISA_WORD_OPCODE), its index (the low
	 * bits, ISA_OFF24_MASK) a used entry (below rw->npatch), and that entry
	 * for this very addr: a guest may forge a patch word anywhere, and then
	 * it is the guest's own illegal word.  The entry, or NULL.
	 * stub: (void)g, (void)addr, (void)w;
	 * stub: return NULL;
	 */
	const struct vmm_rewrite *rw = g->rw;
	if (ISA_WORD_OPCODE(w) != ISA_OP_UNDEFINED)
		return NULL;
	uint32_t i = w & ISA_OFF24_MASK;
	if (i >= rw->npatch || rw->patch[i].addr != addr)
		return NULL;
	return &rw->patch[i];
	/* LAB rewrite END */
}

/* Put the original back at the patched word of guest physical addr and
 * free its entry. */
static void unpatch_word(struct vmm_guest *g, uint32_t addr)
{
	/* LAB rewrite BEGIN
	 * TODO: find the entry of the patch word at addr (patch_at), put its
	 * original back in guest memory, and free the entry: push it on the
	 * free list (addr VMM_PATCH_FREE, .original = the old rw->free_head,
	 * rw->free_head = its index), so that patch_word reuses it.
	 * stub: (void)g, (void)addr;
	 */
	struct vmm_rewrite *rw = g->rw;
	uint8_t *at = g->vm.mem + addr;
	struct vmm_patch *p = patch_at(g, addr, pg32_load32(at));
	if (!p)
		return; /* cannot happen: R words hold their patch word */
	pg32_store32(at, p->original);
	uint32_t i = (uint32_t)(p - rw->patch);
	*p = (struct vmm_patch){ .addr = VMM_PATCH_FREE, .original = rw->free_head };
	rw->free_head = i;
	/* LAB rewrite END */
}

/* ---- life cycle ------------------------------------------------------------- */

int vmm_rewrite_init(struct vmm *v, struct vmm_guest *g, enum vmm_rewrite_mode mode,
                     const struct image *img, char *msg, size_t msglen)
{
	g->rw = NULL;
	if (mode != VMM_REWRITE_STATIC && mode != VMM_REWRITE_DYNAMIC)
		return 0;
	struct vmm_rewrite *rw = calloc(1, sizeof *rw);
	if (!rw) {
		snprintf(msg, msglen, "out of memory for the patch table");
		return PG32_ENOMEM;
	}
	rw->mode = mode;
	rw->critical = g->vm.variant & isa_variant_all_ill();
	rw->words = g->vm.mem_size / ISA_WORD_BYTES;
	rw->max = rw->words < VMM_PATCH_INDEX_MAX ? rw->words : VMM_PATCH_INDEX_MAX;
	rw->free_head = VMM_PATCH_FREE;
	g->rw = rw;
	v->own_bytes += sizeof *rw;
	if (mode == VMM_REWRITE_DYNAMIC) {
		/* Nothing is scanned yet: every word traps when first fetched. */
		rw->map = malloc(rw->words);
		if (!rw->map) {
			snprintf(msg, msglen, "out of memory for the watch map (%u KiB)",
			         rw->words >> VMM_KIB_SHIFT);
			vmm_rewrite_free(rw);
			g->rw = NULL;
			return PG32_ENOMEM;
		}
		memset(rw->map, CPU_WATCH_X, rw->words);
		v->own_bytes += rw->words;
		return 0;
	}
	/* Static: every aligned word of every segment, code or not. */
	for (uint32_t s = 0; s < img->nsegs; s++) {
		const struct img_segment *seg = &img->segs[s];
		uint32_t from = (seg->addr + ISA_WORD_BYTES - 1) & ~(ISA_WORD_BYTES - 1);
		for (uint64_t a = from; a + ISA_WORD_BYTES <= (uint64_t)seg->addr + seg->size;
		     a += ISA_WORD_BYTES) {
			if (!is_critical(rw, pg32_load32(g->vm.mem + a)))
				continue;
			if (patch_word(g, (uint32_t)a) != 0) {
				snprintf(msg, msglen, "out of memory for the patch table");
				vmm_rewrite_free(rw);
				g->rw = NULL;
				return PG32_ENOMEM;
			}
		}
		g->stats.blocks_scanned++;
	}
	return 0;
}

void vmm_rewrite_free(struct vmm_rewrite *rw)
{
	if (!rw)
		return;
	free(rw->map);
	free(rw->patch);
	free(rw);
}

int vmm_rewrite_clone(const struct vmm_rewrite *src, struct vmm_rewrite **out)
{
	*out = NULL;
	if (!src)
		return 0;
	struct vmm_rewrite *rw = malloc(sizeof *rw);
	if (!rw)
		return PG32_ENOMEM;
	*rw = *src;
	rw->map = NULL;
	rw->patch = NULL;
	if (src->map) {
		rw->map = malloc(src->words);
		if (!rw->map)
			goto fail;
		memcpy(rw->map, src->map, src->words);
	}
	if (src->cap) {
		rw->patch = malloc((size_t)src->cap * sizeof *rw->patch);
		if (!rw->patch)
			goto fail;
		memcpy(rw->patch, src->patch, (size_t)src->npatch * sizeof *rw->patch);
	}
	*out = rw;
	return 0;
fail:
	vmm_rewrite_free(rw);
	return PG32_ENOMEM;
}

/* ---- dynamic rewriting ------------------------------------------------------ */

/* Scan the block from guest physical word addr (4-aligned, not scanned):
 * patch its critical instructions, watch its words.  Returns 0 or
 * PG32_ENOMEM (the patch table is full). */
static int scan_block(struct vmm_guest *g, uint32_t addr)
{
	/* LAB rewrite BEGIN
	 * TODO: count one block in g->stats.blocks_scanned, then walk the words
	 * from addr (map index addr / ISA_WORD_BYTES) while they are still
	 * unscanned (CPU_WATCH_X in rw->map), inside the guest's memory
	 * (rw->words) and at most VMM_SCAN_BLOCK_MAX of them.  Each word becomes
	 * CPU_WATCH_W (scanned: a store must tell you); a critical one
	 * (is_critical) is patched (patch_word) and also CPU_WATCH_R (loads
	 * must see the original).  Stop AFTER the first word that ends a block
	 * (ends_block): what follows a jump may be data.  If the table is full,
	 * leave that word X and return PG32_ENOMEM.
	 * stub: (void)g, (void)addr, (void)ends_block;
	 * stub: return PG32_ENOMEM;
	 */
	struct vmm_rewrite *rw = g->rw;
	g->stats.blocks_scanned++;
	for (uint32_t i = addr / ISA_WORD_BYTES, n = 0;
	     i < rw->words && (rw->map[i] & CPU_WATCH_X) && n < VMM_SCAN_BLOCK_MAX; i++, n++) {
		uint32_t a = i * ISA_WORD_BYTES, w = pg32_load32(g->vm.mem + a);
		rw->map[i] = CPU_WATCH_W;
		if (is_critical(rw, w)) {
			if (patch_word(g, a) != 0) {
				rw->map[i] = CPU_WATCH_X;
				return PG32_ENOMEM;
			}
			rw->map[i] |= CPU_WATCH_R;
		}
		if (ends_block(w))
			break;
	}
	return 0;
	/* LAB rewrite END */
}

/* Forget the scan of word i: the original back, X again. */
static bool forget_word(struct vmm_guest *g, uint32_t i)
{
	/* LAB rewrite BEGIN
	 * TODO: word i is being written.  If it was never scanned (X) there is
	 * nothing to forget: false.  Otherwise put the original back if it was
	 * patched (R: unpatch_word), make it unscanned again (X only: the next
	 * fetch scans it anew) and return true (one rescan).
	 * stub: (void)g, (void)i, (void)unpatch_word;
	 * stub: return false;
	 */
	struct vmm_rewrite *rw = g->rw;
	if (rw->map[i] & CPU_WATCH_X)
		return false;
	if (rw->map[i] & CPU_WATCH_R)
		unpatch_word(g, i * ISA_WORD_BYTES);
	rw->map[i] = CPU_WATCH_X;
	return true;
	/* LAB rewrite END */
}

bool vmm_rewrite_interprets(const struct vmm_guest *g)
{
	return g->rw && g->rw->map && (g->vm.base % ISA_WORD_BYTES) != 0 &&
	       g->vm.base < g->vm.mem_size;
}

uint32_t vmm_rewrite_invalidate(struct vmm_guest *g, uint32_t addr, uint64_t len)
{
	struct vmm_rewrite *rw = g->rw;
	if (!rw || !rw->map || len == 0 || addr >= g->vm.mem_size)
		return 0;
	uint64_t end = (uint64_t)addr + len;
	if (end > g->vm.mem_size)
		end = g->vm.mem_size;
	uint32_t n = 0;
	for (uint64_t i = addr / ISA_WORD_BYTES; i * ISA_WORD_BYTES < end; i++)
		n += forget_word(g, (uint32_t)i);
	g->stats.rescans += n;
	return n;
}

void vmm_rewrite_guest_view(const struct vmm_guest *g, uint8_t *buf)
{
	memcpy(buf, g->vm.mem, g->vm.mem_size);
	const struct vmm_rewrite *rw = g->rw;
	if (!rw)
		return;
	for (uint32_t i = 0; i < rw->npatch; i++) {
		uint32_t a = rw->patch[i].addr;
		if (a != VMM_PATCH_FREE && patch_at(g, a, pg32_load32(g->vm.mem + a)))
			pg32_store32(buf + a, rw->patch[i].original);
	}
}

uint32_t vmm_rewrite_read_word(const struct vmm_guest *g, uint32_t addr)
{
	uint32_t w = pg32_load32(g->vm.mem + addr);
	if (!g->rw || !g->rw->map || !(g->rw->map[addr / ISA_WORD_BYTES] & CPU_WATCH_R))
		return w;
	const struct vmm_patch *p = patch_at(g, addr, w);
	return p ? p->original : w;
}

/* Run the load or store w (which hit the watch map at guest physical bytes
 * [a, a + n)) on g's virtual machine: a load with the originals in place
 * for the moment, a store after forgetting the scan of the words it
 * touches.  The access passed its own checks, so it cannot fault. */
static enum vmm_next watched_access(struct vmm *v, struct vmm_guest *g, uint32_t w,
                                    uint32_t access, uint32_t a, uint32_t n,
                                    enum vmm_action *action)
{
	/* LAB rewrite BEGIN
	 * TODO: the guest's load or store w touched the watched words
	 * a / ISA_WORD_BYTES .. (a + n - 1) / ISA_WORD_BYTES.
	 * A store (access CPU_WATCH_W): forget each word it touches
	 * (forget_word; add what it returns to g->stats.rescans), then run the
	 * store by emulation, vmm_exec_word(v, g, w, action): never let the
	 * guest run it again (a store into its own word would trap forever).
	 * A load (CPU_WATCH_R): the guest must read the ORIGINALS.  For each
	 * word touched (at most two; more: vmm_kill and VMM_NEXT_STOP) save the
	 * word and its map byte, put the original in (vmm_rewrite_read_word)
	 * with R off, run the load with vmm_exec_word, then put the patch words
	 * and map bytes back, and return what vmm_exec_word returned.
	 * stub: (void)g, (void)w, (void)access, (void)a, (void)n, (void)action;
	 * stub: vmm_kill(v, g, NULL, "watched_access is not written yet");
	 * stub: return VMM_NEXT_STOP;
	 */
	struct vmm_rewrite *rw = g->rw;
	uint32_t lo = a / ISA_WORD_BYTES, hi = (a + n - 1) / ISA_WORD_BYTES;
	if (access == CPU_WATCH_W) {
		for (uint32_t i = lo; i <= hi && i < rw->words; i++)
			g->stats.rescans += forget_word(g, i);
		return vmm_exec_word(v, g, w, action);
	}
	/* A load: swap the originals in (and the load watch off), run it,
	 * swap the patches back.  At most two words: lpsw's four-word load
	 * is run by its interpreter routine, never here. */
	enum { MAX_WORDS = 2 };
	uint32_t saved[MAX_WORDS] = { 0, 0 };
	uint8_t bits[MAX_WORDS] = { 0, 0 };
	if (hi - lo >= MAX_WORDS) {
		vmm_kill(v, g, NULL, "a watched load of more than two words");
		return VMM_NEXT_STOP;
	}
	for (uint32_t i = lo; i <= hi && i < rw->words; i++) {
		uint32_t addr = i * ISA_WORD_BYTES;
		saved[i - lo] = pg32_load32(g->vm.mem + addr);
		bits[i - lo] = rw->map[i];
		pg32_store32(g->vm.mem + addr, vmm_rewrite_read_word(g, addr));
		rw->map[i] &= (uint8_t)~CPU_WATCH_R;
	}
	enum vmm_next next = vmm_exec_word(v, g, w, action);
	for (uint32_t i = lo; i <= hi && i < rw->words; i++) {
		pg32_store32(g->vm.mem + i * ISA_WORD_BYTES, saved[i - lo]);
		rw->map[i] = bits[i - lo];
	}
	return next;
	/* LAB rewrite END */
}

/* Bytes a load or store word accesses (watch traps come only from these). */
static uint32_t access_bytes(uint32_t w)
{
	switch (ISA_WORD_OPCODE(w)) {
	case ISA_OP_LB: case ISA_OP_LBU: case ISA_OP_SB: return 1;
	case ISA_OP_LPSW: return PSW_BYTES;
	default: return ISA_WORD_BYTES;
	}
}

uint32_t vmm_rewrite_fetch(const struct vmm_guest *g, uint32_t a)
{
	uint8_t bytes[2 * ISA_WORD_BYTES];
	uint32_t base = a & ~(ISA_WORD_BYTES - 1);
	if (!g->rw)
		return pg32_load32(g->vm.mem + a);
	pg32_store32(bytes, vmm_rewrite_read_word(g, base));
	if (base + ISA_WORD_BYTES < g->vm.mem_size)
		pg32_store32(bytes + ISA_WORD_BYTES, vmm_rewrite_read_word(g, base + ISA_WORD_BYTES));
	else
		memset(bytes + ISA_WORD_BYTES, 0, ISA_WORD_BYTES);
	return pg32_load32(bytes + (a - base));
}

static enum vmm_next watch_trap(struct vmm *v, struct vmm_guest *g, const struct cpu_trap *t,
                                enum vmm_action *action)
{
	struct cpu *vm = &g->vm;
	g->stats.watch_traps++;
	/* The access passed R's checks on the real CPU, so vbase < memory
	 * size and the guest physical address lies in the guest's memory. */
	uint32_t a = vm->base + t->detail;
	switch (t->access) {
	case CPU_WATCH_X:
		*action = VMM_ACT_REWRITTEN;
		if (a % ISA_WORD_BYTES != 0) {
			/* Code at an address that is not a word of the map: run
			 * each such instruction by emulation, as the guest sees it. */
			return vmm_exec_word(v, g, vmm_rewrite_fetch(g, a), action);
		}
		if (scan_block(g, a) != 0) {
			vmm_kill(v, g, t, "the patch table is full");
			return VMM_NEXT_STOP;
		}
		return VMM_NEXT_RETRY;
	case CPU_WATCH_R:
	case CPU_WATCH_W:
		*action = VMM_ACT_REWRITTEN;
		return watched_access(v, g, t->insn, t->access, a, access_bytes(t->insn), action);
	default:
		break;
	}
	vmm_kill(v, g, t, "a watch-map trap of no known kind");
	return VMM_NEXT_STOP;
}

bool vmm_rewrite_trap(struct vmm *v, struct vmm_guest *g, const struct cpu_trap *t,
                      enum vmm_next *next, enum vmm_action *action)
{
	if (!g->rw)
		return false;
	if (t->cause == TRAP_WATCH) {
		*next = watch_trap(v, g, t, action);
		return true;
	}
	if (t->cause != TRAP_ILLEGAL)
		return false;
	/* A patch word?  The index comes from the word the CPU reported; the
	 * entry must be for this very address, or it is the guest's own. */
	/* LAB rewrite BEGIN
	 * TODO: an illegal-instruction trap.  Is t->insn a patch word of yours
	 * at the guest physical address of the instruction (g->vm.base +
	 * t->insn_pc)?  If not, return false: the guest's own illegal word is
	 * reflected as on its bare machine.  If so, count it in
	 * g->stats.rewrite_traps, set *action to VMM_ACT_REWRITTEN and emulate
	 * the ORIGINAL from the table (never fetch it again):
	 * *next = vmm_exec_word(v, g, original, action); return true.
	 * stub: (void)v, (void)next, (void)action;
	 * stub: return false;
	 */
	const struct vmm_patch *p = patch_at(g, g->vm.base + t->insn_pc, t->insn);
	if (!p)
		return false;
	g->stats.rewrite_traps++;
	*action = VMM_ACT_REWRITTEN;
	*next = vmm_exec_word(v, g, p->original, action);
	return true;
	/* LAB rewrite END */
}
