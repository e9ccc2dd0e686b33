// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests of the Axon page tables and device address allocation.
 *
 * Copyright (C) 2026 The Axon authors
 */

#include <kunit/test.h>

#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/scatterlist.h>
#include <linux/sizes.h>

#include <drm/drm_mm.h>

#include "../axon_device.h"
#include "../axon_mmu.h"
#include "../axon_regs.h"

/*
 * Page-table memory from plain pages: the "bus address" of a table is its
 * physical address, so the test can walk the tables like the device does.
 */
struct axon_test_pt {
	unsigned int allocs;
	unsigned int frees;
	/* fail the allocation when allocs reaches this (0: never) */
	unsigned int fail_at;
};

static __le64 *axon_test_pt_alloc(void *ctx, dma_addr_t *dma)
{
	struct axon_test_pt *t = ctx;
	unsigned long page;

	if (t->fail_at && t->allocs + 1 == t->fail_at)
		return NULL;
	page = get_zeroed_page(GFP_KERNEL);
	if (!page)
		return NULL;
	t->allocs++;
	*dma = virt_to_phys((void *)page);
	return (__le64 *)page;
}

static void axon_test_pt_free(void *ctx, __le64 *entries, dma_addr_t dma)
{
	struct axon_test_pt *t = ctx;

	WARN_ON(virt_to_phys(entries) != dma);
	t->frees++;
	free_page((unsigned long)entries);
}

static const struct axon_pt_ops axon_test_pt_ops = {
	.alloc = axon_test_pt_alloc,
	.free = axon_test_pt_free,
};

struct axon_mmu_test {
	struct axon_test_pt backend;
	struct axon_pgtable pgt;
};

static unsigned int live_tables(struct axon_mmu_test *t)
{
	return t->backend.allocs - t->backend.frees;
}

static int axon_mmu_test_init(struct kunit *test)
{
	struct axon_mmu_test *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, t);
	KUNIT_ASSERT_EQ(test, 0, axon_pgtable_init(&t->pgt, &axon_test_pt_ops,
						   &t->backend));
	/* from here on .exit has a page table to free */
	test->priv = t;
	KUNIT_ASSERT_EQ(test, 1u, live_tables(t));
	return 0;
}

/*
 * KUnit runs .exit even when .init failed (an allocation failing under
 * fault injection, say): test->priv is set only once there is something
 * to free.
 */
static void axon_mmu_test_exit(struct kunit *test)
{
	struct axon_mmu_test *t = test->priv;

	if (!t)
		return;
	axon_pgtable_fini(&t->pgt);
	KUNIT_EXPECT_EQ(test, 0u, live_tables(t));
}

#define PTE_RESERVED	(GENMASK_ULL(11, 3) | GENMASK_ULL(63, 52))

/*
 * Walk the tables from the root's bus address like the device: every entry
 * on the way must be VALID with reserved bits clear, and an intermediate
 * entry has no READ/WRITE bits set. Returns the leaf entry or 0.
 */
static u64 hw_walk(struct kunit *test, struct axon_pgtable *pgt, u64 va)
{
	u64 table = pgt->root.dma;
	int level;

	for (level = AXON_MMU_LEVELS - 1; level >= 0; level--) {
		unsigned int i = (va >> (AXON_MMU_PAGE_SHIFT +
					 level * AXON_MMU_LEVEL_BITS)) &
				 (AXON_MMU_ENTRIES - 1);
		__le64 *entries = phys_to_virt(table);
		u64 e = le64_to_cpu(entries[i]);

		if (!(e & AXON_PTE_VALID))
			return 0;
		KUNIT_EXPECT_EQ_MSG(test, 0ull, e & PTE_RESERVED,
				    "va 0x%llx level %d entry 0x%llx", va, level, e);
		if (!level)
			return e;
		KUNIT_EXPECT_EQ_MSG(test, 0ull, e & (AXON_PTE_READ | AXON_PTE_WRITE),
				    "va 0x%llx level %d entry 0x%llx", va, level, e);
		table = e & AXON_PTE_ADDR;
	}

	return 0;
}

static unsigned int list_count(struct list_head *head)
{
	struct list_head *pos;
	unsigned int n = 0;

	list_for_each(pos, head)
		n++;
	return n;
}

/* Unmap, free the tables that became empty; return how many were freed. */
static unsigned int unmap(struct axon_mmu_test *t, u64 va, u64 size, bool *changed)
{
	LIST_HEAD(freed);
	unsigned int n;
	bool c;

	c = axon_pgtable_unmap(&t->pgt, va, size, &freed);
	if (changed)
		*changed = c;
	n = list_count(&freed);
	axon_pgtable_free_tables(&t->pgt, &freed);
	return n;
}

static void axon_pt_map_one_page(struct kunit *test)
{
	struct axon_mmu_test *t = test->priv;
	u64 va = SZ_1M, pa = 0x123456000ull;
	bool changed;

	KUNIT_ASSERT_EQ(test, 0, axon_pgtable_map(&t->pgt, va, pa, SZ_4K,
						  AXON_PTE_READ | AXON_PTE_WRITE));
	/* VALID | READ | WRITE and the page address, nothing else */
	KUNIT_EXPECT_EQ(test, pa | 0x7, axon_pgtable_lookup(&t->pgt, va, 0));
	KUNIT_EXPECT_EQ(test, pa | 0x7, hw_walk(test, &t->pgt, va));
	/* one table per level below the root */
	KUNIT_EXPECT_EQ(test, 4u, live_tables(t));
	/* the neighbours are not mapped */
	KUNIT_EXPECT_EQ(test, 0ull, hw_walk(test, &t->pgt, va + SZ_4K));
	KUNIT_EXPECT_EQ(test, 0ull, hw_walk(test, &t->pgt, va - SZ_4K));

	KUNIT_EXPECT_EQ(test, 3u, unmap(t, va, SZ_4K, &changed));
	KUNIT_EXPECT_TRUE(test, changed);
	KUNIT_EXPECT_EQ(test, 0ull, axon_pgtable_lookup(&t->pgt, va, 0));
	KUNIT_EXPECT_EQ(test, 0ull, axon_pgtable_lookup(&t->pgt, va, 3));
	KUNIT_EXPECT_EQ(test, 1u, live_tables(t));
}

static void axon_pt_map_read_only(struct kunit *test)
{
	struct axon_mmu_test *t = test->priv;
	u64 va = 0x7fff00000000ull, pa = 0xfffffffff000ull;

	KUNIT_ASSERT_EQ(test, 0, axon_pgtable_map(&t->pgt, va, pa, 2 * SZ_4K,
						  AXON_PTE_READ));
	KUNIT_EXPECT_EQ(test, pa | 0x3, hw_walk(test, &t->pgt, va));
	KUNIT_EXPECT_EQ(test, (pa + SZ_4K) | 0x3, hw_walk(test, &t->pgt, va + SZ_4K));
	KUNIT_EXPECT_EQ(test, 3u, unmap(t, va, 2 * SZ_4K, NULL));
}

/* A range crossing a 2 MiB and a 1 GiB boundary uses one table per span. */
static void axon_pt_map_crosses_tables(struct kunit *test)
{
	struct axon_mmu_test *t = test->priv;
	u64 va = SZ_1G - 2 * SZ_4K, pa = 0x40000000ull, off;

	KUNIT_ASSERT_EQ(test, 0, axon_pgtable_map(&t->pgt, va, pa, 4 * SZ_4K,
						  AXON_PTE_READ | AXON_PTE_WRITE));
	for (off = 0; off < 4 * SZ_4K; off += SZ_4K)
		KUNIT_EXPECT_EQ(test, (pa + off) | 0x7, hw_walk(test, &t->pgt, va + off));
	/* root, one level-2 table, two level-1 and two level-0 tables */
	KUNIT_EXPECT_EQ(test, 6u, live_tables(t));

	/* the pages below 1 GiB: their level-1 and level-0 tables go */
	KUNIT_EXPECT_EQ(test, 2u, unmap(t, va, 2 * SZ_4K, NULL));
	KUNIT_EXPECT_EQ(test, 4u, live_tables(t));
	KUNIT_EXPECT_EQ(test, (pa + 2 * SZ_4K) | 0x7, hw_walk(test, &t->pgt, SZ_1G));
	/* the rest: everything but the root */
	KUNIT_EXPECT_EQ(test, 3u, unmap(t, SZ_1G, 2 * SZ_4K, NULL));
	KUNIT_EXPECT_EQ(test, 1u, live_tables(t));
}

/* A table stays while one of its entries is valid. */
static void axon_pt_unmap_partial_keeps_table(struct kunit *test)
{
	struct axon_mmu_test *t = test->priv;
	u64 va = SZ_2M;
	bool changed;

	KUNIT_ASSERT_EQ(test, 0, axon_pgtable_map(&t->pgt, va, 0x1000, 3 * SZ_4K,
						  AXON_PTE_READ));
	KUNIT_EXPECT_EQ(test, 0u, unmap(t, va + SZ_4K, SZ_4K, &changed));
	KUNIT_EXPECT_TRUE(test, changed);
	KUNIT_EXPECT_EQ(test, 4u, live_tables(t));
	KUNIT_EXPECT_EQ(test, 0x1003ull, hw_walk(test, &t->pgt, va));
	KUNIT_EXPECT_EQ(test, 0ull, hw_walk(test, &t->pgt, va + SZ_4K));
	KUNIT_EXPECT_EQ(test, 0x3003ull, hw_walk(test, &t->pgt, va + 2 * SZ_4K));
	/* unmapping it again changes nothing */
	KUNIT_EXPECT_EQ(test, 0u, unmap(t, va + SZ_4K, SZ_4K, &changed));
	KUNIT_EXPECT_FALSE(test, changed);
	KUNIT_EXPECT_EQ(test, 3u, unmap(t, va, 3 * SZ_4K, NULL));
}

static void axon_pt_unmap_nothing(struct kunit *test)
{
	struct axon_mmu_test *t = test->priv;
	bool changed = true;

	KUNIT_EXPECT_EQ(test, 0u, unmap(t, SZ_1M, SZ_1G, &changed));
	KUNIT_EXPECT_FALSE(test, changed);
	/* the whole address space, in a few steps: nothing to walk */
	KUNIT_EXPECT_EQ(test, 0u, unmap(t, 0, BIT_ULL(AXON_HW_VA_BITS), &changed));
	KUNIT_EXPECT_FALSE(test, changed);
	KUNIT_EXPECT_EQ(test, 1u, live_tables(t));
}

static void axon_pt_map_bad_args(struct kunit *test)
{
	struct axon_mmu_test *t = test->priv;
	const u64 rw = AXON_PTE_READ | AXON_PTE_WRITE;
	const u64 top = BIT_ULL(AXON_HW_VA_BITS);

	KUNIT_EXPECT_EQ(test, -EINVAL, axon_pgtable_map(&t->pgt, SZ_1M + 8, 0, SZ_4K, rw));
	KUNIT_EXPECT_EQ(test, -EINVAL, axon_pgtable_map(&t->pgt, SZ_1M, 0x800, SZ_4K, rw));
	KUNIT_EXPECT_EQ(test, -EINVAL, axon_pgtable_map(&t->pgt, SZ_1M, 0, 100, rw));
	KUNIT_EXPECT_EQ(test, -EINVAL, axon_pgtable_map(&t->pgt, SZ_1M, 0, SZ_4K,
							AXON_PTE_VALID | rw));
	KUNIT_EXPECT_EQ(test, -EINVAL, axon_pgtable_map(&t->pgt, SZ_1M, 0, SZ_4K, BIT(3)));
	/* beyond the 48-bit address space, or wrapping */
	KUNIT_EXPECT_EQ(test, -EINVAL, axon_pgtable_map(&t->pgt, top, 0, SZ_4K, rw));
	KUNIT_EXPECT_EQ(test, -EINVAL, axon_pgtable_map(&t->pgt, top - SZ_4K, 0,
							2 * SZ_4K, rw));
	KUNIT_EXPECT_EQ(test, -EINVAL, axon_pgtable_map(&t->pgt, -SZ_4K, 0, 2 * SZ_4K, rw));
	/* bus addresses need at most 52 bits */
	KUNIT_EXPECT_EQ(test, -EINVAL, axon_pgtable_map(&t->pgt, SZ_1M, BIT_ULL(52),
							SZ_4K, rw));
	KUNIT_EXPECT_EQ(test, -EINVAL, axon_pgtable_map(&t->pgt, SZ_1M,
							BIT_ULL(52) - SZ_4K, 2 * SZ_4K,
							rw));
	/* nothing was allocated for any of them */
	KUNIT_EXPECT_EQ(test, 1u, live_tables(t));

	/* the last page of both spaces is fine */
	KUNIT_EXPECT_EQ(test, 0, axon_pgtable_map(&t->pgt, top - SZ_4K,
						  BIT_ULL(52) - SZ_4K, SZ_4K, rw));
	KUNIT_EXPECT_EQ(test, (BIT_ULL(52) - SZ_4K) | 0x7,
			hw_walk(test, &t->pgt, top - SZ_4K));
	/* and cannot be mapped twice */
	KUNIT_EXPECT_EQ(test, -EEXIST, axon_pgtable_map(&t->pgt, top - SZ_4K, 0,
							SZ_4K, rw));
	KUNIT_EXPECT_EQ(test, (BIT_ULL(52) - SZ_4K) | 0x7,
			hw_walk(test, &t->pgt, top - SZ_4K));
	KUNIT_EXPECT_EQ(test, 3u, unmap(t, top - SZ_4K, SZ_4K, NULL));
}

/* An intermediate table cannot be allocated: unmap cleans up everything. */
static void axon_pt_map_enomem_intermediate(struct kunit *test)
{
	struct axon_mmu_test *t = test->priv;
	unsigned int n;

	/* root exists: level 2 is allocation 2, level 1 allocation 3 */
	t->backend.fail_at = 3;
	KUNIT_EXPECT_EQ(test, -ENOMEM, axon_pgtable_map(&t->pgt, SZ_1M, 0, SZ_4K,
							AXON_PTE_READ));
	KUNIT_EXPECT_EQ(test, 2u, live_tables(t));
	t->backend.fail_at = 0;
	/* the empty level-2 table left behind is freed; nothing was valid */
	n = unmap(t, SZ_1M, SZ_4K, NULL);
	KUNIT_EXPECT_EQ(test, 1u, n);
	KUNIT_EXPECT_EQ(test, 1u, live_tables(t));
	/* and the range maps normally afterwards */
	KUNIT_EXPECT_EQ(test, 0, axon_pgtable_map(&t->pgt, SZ_1M, 0, SZ_4K,
						  AXON_PTE_READ));
	KUNIT_EXPECT_EQ(test, 3u, unmap(t, SZ_1M, SZ_4K, NULL));
}

/* The second leaf table of a range cannot be allocated. */
static void axon_pt_map_enomem_leaf(struct kunit *test)
{
	struct axon_mmu_test *t = test->priv;
	u64 va = SZ_2M, size = SZ_2M + SZ_4K;
	bool changed;

	/* allocations 2, 3, 4: the path to the first leaf; 5: the second leaf */
	t->backend.fail_at = 5;
	KUNIT_EXPECT_EQ(test, -ENOMEM, axon_pgtable_map(&t->pgt, va, 0, size,
							AXON_PTE_READ));
	/* the first 512 pages were written */
	KUNIT_EXPECT_EQ(test, 0x3ull, hw_walk(test, &t->pgt, va));
	KUNIT_EXPECT_EQ(test, (SZ_2M - SZ_4K) | 0x3ull,
			hw_walk(test, &t->pgt, va + SZ_2M - SZ_4K));
	KUNIT_EXPECT_EQ(test, 0ull, hw_walk(test, &t->pgt, va + SZ_2M));
	t->backend.fail_at = 0;
	KUNIT_EXPECT_EQ(test, 3u, unmap(t, va, size, &changed));
	KUNIT_EXPECT_TRUE(test, changed);
	KUNIT_EXPECT_EQ(test, 1u, live_tables(t));
}

/* The root table cannot be allocated. */
static void axon_pt_init_enomem(struct kunit *test)
{
	struct axon_test_pt backend = { .fail_at = 1 };
	struct axon_pgtable pgt;

	KUNIT_EXPECT_EQ(test, -ENOMEM, axon_pgtable_init(&pgt, &axon_test_pt_ops,
							 &backend));
	KUNIT_EXPECT_EQ(test, 0u, backend.allocs);
}

/*
 * Tearing down a page table frees every table, mapped or not. The table is
 * the fixture's, so that .exit frees it if an assertion ends the case early
 * (a second axon_pgtable_fini() does nothing).
 */
static void axon_pt_fini_frees_all(struct kunit *test)
{
	struct axon_mmu_test *t = test->priv;

	KUNIT_ASSERT_EQ(test, 0, axon_pgtable_map(&t->pgt, SZ_1M, 0, SZ_4M,
						  AXON_PTE_READ));
	KUNIT_ASSERT_EQ(test, 0, axon_pgtable_map(&t->pgt, 0x7f0000000000ull, 0,
						  SZ_4K, AXON_PTE_READ));
	KUNIT_EXPECT_EQ(test, 1u + 2 + 3 + 3, t->backend.allocs);
	axon_pgtable_fini(&t->pgt);
	KUNIT_EXPECT_EQ(test, t->backend.allocs, t->backend.frees);
}

static struct kunit_case axon_pgtable_cases[] = {
	KUNIT_CASE(axon_pt_map_one_page),
	KUNIT_CASE(axon_pt_map_read_only),
	KUNIT_CASE(axon_pt_map_crosses_tables),
	KUNIT_CASE(axon_pt_unmap_partial_keeps_table),
	KUNIT_CASE(axon_pt_unmap_nothing),
	KUNIT_CASE(axon_pt_map_bad_args),
	KUNIT_CASE(axon_pt_map_enomem_intermediate),
	KUNIT_CASE(axon_pt_map_enomem_leaf),
	KUNIT_CASE(axon_pt_init_enomem),
	KUNIT_CASE(axon_pt_fini_frees_all),
	{}
};

static struct kunit_suite axon_pgtable_suite = {
	.name = "axon_pgtable",
	.init = axon_mmu_test_init,
	.exit = axon_mmu_test_exit,
	.test_cases = axon_pgtable_cases,
};

/* ------------------------------------------------------------------ */
/* Device virtual address allocation                                  */
/* ------------------------------------------------------------------ */

static int axon_va_test_init(struct kunit *test)
{
	struct drm_mm *mm = kunit_kzalloc(test, sizeof(*mm), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, mm);
	axon_va_init(mm, AXON_VA_START, AXON_VA_END);
	test->priv = mm;
	return 0;
}

static void axon_va_test_exit(struct kunit *test)
{
	struct drm_mm *mm = test->priv;
	struct drm_mm_node *node, *next;

	if (!mm)	/* .init failed */
		return;
	drm_mm_for_each_node_safe(node, next, mm)
		drm_mm_remove_node(node);
	drm_mm_takedown(mm);
}

static struct drm_mm_node *new_node(struct kunit *test)
{
	struct drm_mm_node *node = kunit_kzalloc(test, sizeof(*node), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, node);
	return node;
}

/* The first buffer is at VA_START; every node is the buffer plus a guard page. */
static void axon_va_first_and_guard(struct kunit *test)
{
	struct drm_mm *mm = test->priv;
	struct drm_mm_node *a = new_node(test), *b = new_node(test);

	KUNIT_ASSERT_EQ(test, 0, axon_va_alloc(mm, a, SZ_4K));
	KUNIT_EXPECT_EQ(test, (u64)AXON_VA_START, a->start);
	KUNIT_EXPECT_EQ(test, (u64)2 * SZ_4K, a->size);
	KUNIT_ASSERT_EQ(test, 0, axon_va_alloc(mm, b, 3 * SZ_4K));
	KUNIT_EXPECT_EQ(test, (u64)4 * SZ_4K, b->size);
	/* b does not start in a's buffer nor in a's guard page, and vice versa */
	KUNIT_EXPECT_TRUE(test,
			  b->start >= a->start + 2 * SZ_4K ||
			  a->start >= b->start + 4 * SZ_4K);
}

static void axon_va_alignment(struct kunit *test)
{
	static const u64 pages[] = { 1, 3, 5, 7, 16, 255, 256, 513 };
	struct drm_mm *mm = test->priv;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(pages); i++) {
		struct drm_mm_node *n = new_node(test);

		KUNIT_ASSERT_EQ(test, 0, axon_va_alloc(mm, n, pages[i] * SZ_4K));
		KUNIT_EXPECT_TRUE_MSG(test, IS_ALIGNED(n->start, SZ_4K),
				      "%llu pages at 0x%llx", pages[i], n->start);
		KUNIT_EXPECT_GE(test, n->start, (u64)AXON_VA_START);
		KUNIT_EXPECT_LE(test, n->start + n->size, (u64)AXON_VA_END);
	}
}

static void axon_va_bad_sizes(struct kunit *test)
{
	struct drm_mm *mm = test->priv;
	struct drm_mm_node *n = new_node(test);

	KUNIT_EXPECT_EQ(test, -EINVAL, axon_va_alloc(mm, n, 0));
	KUNIT_EXPECT_EQ(test, -EINVAL, axon_va_alloc(mm, n, 100));
	KUNIT_EXPECT_EQ(test, -EINVAL, axon_va_alloc(mm, n, SZ_4K + 8));
	KUNIT_EXPECT_EQ(test, -EINVAL, axon_va_alloc(mm, n, AXON_MAX_BO_SIZE + SZ_4K));
	KUNIT_EXPECT_EQ(test, -EINVAL, axon_va_alloc(mm, n, U64_MAX & ~(u64)(SZ_4K - 1)));
	KUNIT_EXPECT_FALSE(test, drm_mm_node_allocated(n));
	KUNIT_EXPECT_EQ(test, 0, axon_va_alloc(mm, n, AXON_MAX_BO_SIZE));
	KUNIT_EXPECT_EQ(test, (u64)AXON_MAX_BO_SIZE + SZ_4K, n->size);
}

/* A small space fills up: -ENOSPC, and freeing makes room again. */
static void axon_va_exhaustion(struct kunit *test)
{
	struct drm_mm *mm = test->priv;
	struct drm_mm_node *a = new_node(test), *b = new_node(test);
	struct drm_mm_node *c = new_node(test);

	/* the fixture's allocator, shrunk to 16 pages */
	drm_mm_takedown(mm);
	axon_va_init(mm, AXON_VA_START, AXON_VA_START + 16 * SZ_4K);
	KUNIT_EXPECT_EQ(test, 0, axon_va_alloc(mm, a, 7 * SZ_4K));
	KUNIT_EXPECT_EQ(test, 0, axon_va_alloc(mm, b, 7 * SZ_4K));
	/* 16 pages, all used by two buffers and their guard pages */
	KUNIT_EXPECT_EQ(test, -ENOSPC, axon_va_alloc(mm, c, SZ_4K));
	KUNIT_EXPECT_FALSE(test, drm_mm_node_allocated(c));
	drm_mm_remove_node(a);
	KUNIT_EXPECT_EQ(test, -ENOSPC, axon_va_alloc(mm, c, 8 * SZ_4K));
	KUNIT_EXPECT_EQ(test, 0, axon_va_alloc(mm, c, 7 * SZ_4K));
	KUNIT_EXPECT_EQ(test, (u64)AXON_VA_START, c->start);
}

/* Buffers end at VA_END at the latest, guard page included. */
static void axon_va_range_end(struct kunit *test)
{
	struct drm_mm *mm = test->priv;
	struct drm_mm_node *low = new_node(test), *n = new_node(test);
	struct drm_mm_node *m = new_node(test);

	low->start = AXON_VA_START;
	low->size = AXON_VA_END - AXON_VA_START - 4 * SZ_4K;
	KUNIT_ASSERT_EQ(test, 0, drm_mm_reserve_node(mm, low));
	KUNIT_EXPECT_EQ(test, -ENOSPC, axon_va_alloc(mm, n, 4 * SZ_4K));
	KUNIT_ASSERT_EQ(test, 0, axon_va_alloc(mm, n, 3 * SZ_4K));
	KUNIT_EXPECT_EQ(test, (u64)AXON_VA_END - 4 * SZ_4K, n->start);
	KUNIT_EXPECT_EQ(test, (u64)AXON_VA_END, n->start + n->size);
	KUNIT_EXPECT_EQ(test, -ENOSPC, axon_va_alloc(mm, m, SZ_4K));
}

static struct kunit_case axon_va_cases[] = {
	KUNIT_CASE(axon_va_first_and_guard),
	KUNIT_CASE(axon_va_alignment),
	KUNIT_CASE(axon_va_bad_sizes),
	KUNIT_CASE(axon_va_exhaustion),
	KUNIT_CASE(axon_va_range_end),
	{}
};

static struct kunit_suite axon_va_suite = {
	.name = "axon_va",
	.init = axon_va_test_init,
	.exit = axon_va_test_exit,
	.test_cases = axon_va_cases,
};

/* ------------------------------------------------------------------ */
/* Mapping a buffer's pages into a VM                                  */
/* ------------------------------------------------------------------ */

/*
 * A VM on the test's page-table memory that holds no address-space slot,
 * so that axon_vm_unmap_locked() touches no device: of its device it only
 * takes @as_lock to read the slot.
 */
struct axon_vm_test {
	struct axon_test_pt backend;
	struct axon_device adev;
	struct axon_vm vm;
	struct sg_table sgt;
};

static int axon_vm_test_init(struct kunit *test)
{
	struct axon_vm_test *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, t);
	spin_lock_init(&t->adev.as_lock);
	t->vm.adev = &t->adev;
	t->vm.as_slot = -1;
	mutex_init(&t->vm.lock);
	KUNIT_ASSERT_EQ(test, 0, axon_pgtable_init(&t->vm.pgt, &axon_test_pt_ops,
						   &t->backend));
	test->priv = t;
	return 0;
}

static void axon_vm_test_exit(struct kunit *test)
{
	struct axon_vm_test *t = test->priv;

	if (!t)
		return;
	sg_free_table(&t->sgt);
	axon_pgtable_fini(&t->vm.pgt);
	mutex_destroy(&t->vm.lock);
	KUNIT_EXPECT_EQ(test, t->backend.allocs, t->backend.frees);
}

/* DMA-mapped segments as an exporter would hand them: {address, length}. */
static void vm_test_sgt(struct kunit *test, const u64 (*seg)[2], unsigned int n)
{
	struct axon_vm_test *t = test->priv;
	struct scatterlist *sg;
	unsigned int i;

	KUNIT_ASSERT_EQ(test, 0, sg_alloc_table(&t->sgt, n, GFP_KERNEL));
	for_each_sgtable_sg(&t->sgt, sg, i) {
		sg_dma_address(sg) = seg[i][0];
		sg_dma_len(sg) = seg[i][1];
	}
}

static int vm_test_map(struct kunit *test, u64 va, u64 size, bool read_only)
{
	struct axon_vm_test *t = test->priv;
	int ret;

	mutex_lock(&t->vm.lock);
	ret = axon_vm_map_locked(&t->vm, va, size, &t->sgt, read_only);
	mutex_unlock(&t->vm.lock);
	return ret;
}

/* Nothing of va..va+size is mapped, every table but the root is gone. */
static void expect_nothing_mapped(struct kunit *test, u64 va, u64 size)
{
	struct axon_vm_test *t = test->priv;
	u64 off;

	for (off = 0; off < size; off += SZ_4K)
		KUNIT_EXPECT_EQ_MSG(test, 0ull, hw_walk(test, &t->vm.pgt, va + off),
				    "va 0x%llx", va + off);
	KUNIT_EXPECT_EQ(test, 1u, t->backend.allocs - t->backend.frees);
}

/*
 * Segments of several pages map back to back; the last one may be longer
 * than what is left of the buffer (an exporter's rounding); read-only
 * buffers get no WRITE bit.
 */
static void axon_vm_map_segments(struct kunit *test)
{
	static const u64 seg[][2] = { { 0x10000000, SZ_8K }, { 0x20000000, SZ_16K } };
	struct axon_vm_test *t = test->priv;
	u64 va = SZ_1M, e;
	unsigned int i;

	vm_test_sgt(test, seg, ARRAY_SIZE(seg));
	KUNIT_ASSERT_EQ(test, 0, vm_test_map(test, va, 4 * SZ_4K, true));
	for (i = 0; i < 4; i++) {
		u64 pa = i < 2 ? seg[0][0] + i * SZ_4K : seg[1][0] + (i - 2) * SZ_4K;

		e = hw_walk(test, &t->vm.pgt, va + i * SZ_4K);
		KUNIT_EXPECT_EQ_MSG(test, pa, e & AXON_PTE_ADDR, "page %u", i);
		KUNIT_EXPECT_TRUE(test, e & AXON_PTE_READ);
		KUNIT_EXPECT_FALSE(test, e & AXON_PTE_WRITE);
	}
	KUNIT_EXPECT_EQ(test, 0ull, hw_walk(test, &t->vm.pgt, va + 4 * SZ_4K));
	mutex_lock(&t->vm.lock);
	axon_vm_unmap_locked(&t->vm, va, 4 * SZ_4K);
	mutex_unlock(&t->vm.lock);
	expect_nothing_mapped(test, va, 5 * SZ_4K);
}

/*
 * A segment that is not made of whole device pages is refused with -EINVAL,
 * after good segments too, and what those mapped is gone again: an address
 * off a 4 KiB boundary (the page-table code refuses that one as well), and
 * a last segment whose length is off a boundary although the part of it
 * the buffer uses is a whole page (only this check catches that one).
 */
static void axon_vm_map_misaligned(struct kunit *test)
{
	static const u64 bad_addr[][2] = { { 0x10000000, SZ_4K }, { 0x20000200, SZ_4K } };
	static const u64 bad_len[][2] = { { 0x10000000, SZ_4K }, { 0x20000000, SZ_4K + 512 } };
	struct axon_vm_test *t = test->priv;
	u64 va = SZ_2M;

	vm_test_sgt(test, bad_addr, ARRAY_SIZE(bad_addr));
	KUNIT_EXPECT_EQ(test, -EINVAL, vm_test_map(test, va, 2 * SZ_4K, false));
	expect_nothing_mapped(test, va, 2 * SZ_4K);
	sg_free_table(&t->sgt);

	vm_test_sgt(test, bad_len, ARRAY_SIZE(bad_len));
	KUNIT_EXPECT_EQ(test, -EINVAL, vm_test_map(test, va, 2 * SZ_4K, false));
	expect_nothing_mapped(test, va, 2 * SZ_4K);
}

/* An sg table shorter than the buffer: -EINVAL, nothing left mapped. */
static void axon_vm_map_short_sgt(struct kunit *test)
{
	static const u64 seg[][2] = { { 0x10000000, SZ_4K }, { 0x30000000, SZ_8K } };
	u64 va = SZ_4M;

	vm_test_sgt(test, seg, ARRAY_SIZE(seg));
	KUNIT_EXPECT_EQ(test, -EINVAL, vm_test_map(test, va, 4 * SZ_4K, false));
	expect_nothing_mapped(test, va, 4 * SZ_4K);
}

/* A VM of a removed device (axon_mmu_unplug() marked it dead): -ENODEV. */
static void axon_vm_map_dead(struct kunit *test)
{
	static const u64 seg[][2] = { { 0x10000000, SZ_4K } };
	struct axon_vm_test *t = test->priv;
	u64 va = SZ_8M;

	vm_test_sgt(test, seg, ARRAY_SIZE(seg));
	t->vm.dead = true;
	KUNIT_EXPECT_EQ(test, -ENODEV, vm_test_map(test, va, SZ_4K, false));
	expect_nothing_mapped(test, va, SZ_4K);
}

static struct kunit_case axon_vm_map_cases[] = {
	KUNIT_CASE(axon_vm_map_segments),
	KUNIT_CASE(axon_vm_map_misaligned),
	KUNIT_CASE(axon_vm_map_short_sgt),
	KUNIT_CASE(axon_vm_map_dead),
	{}
};

static struct kunit_suite axon_vm_map_suite = {
	.name = "axon_vm_map",
	.init = axon_vm_test_init,
	.exit = axon_vm_test_exit,
	.test_cases = axon_vm_map_cases,
};

kunit_test_suites(&axon_pgtable_suite, &axon_va_suite, &axon_vm_map_suite);
