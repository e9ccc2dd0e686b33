/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Copyright (C) 2026 The Axon authors
 *
 * Register layout of the Axon NPU, see Documentation/accel/axon/hardware.rst.
 */

#ifndef __AXON_REGS_H__
#define __AXON_REGS_H__

#include <linux/bits.h>
#include <linux/build_bug.h>
#include <linux/types.h>

/* PCI identity */
#define AXON_PCI_VENDOR_ID		0x1af4
#define AXON_PCI_DEVICE_ID		0x10f0

/* BARs */
#define AXON_BAR_REGS			0
#define AXON_BAR_DOORBELLS		2
#define AXON_DOORBELL_STRIDE		0x1000

/* Global registers (BAR0) */
#define AXON_ID				0x000
#define   AXON_ID_VALUE			0x4e4f5841	/* "AXON" */
#define AXON_VERSION			0x004
#define   AXON_VERSION_MAJOR		GENMASK(31, 16)
#define   AXON_VERSION_MINOR		GENMASK(15, 0)
#define AXON_CAPS			0x008
#define   AXON_CAPS_GEMM_FP32		BIT(0)
#define   AXON_CAPS_GEMM_INT8		BIT(1)
#define   AXON_CAPS_ELTWISE		BIT(2)
#define   AXON_CAPS_TIMESTAMP		BIT(3)
#define   AXON_CAPS_DEBUG		BIT(4)
#define   AXON_CAPS_SIGNAL_WAIT		BIT(5)
#define   AXON_CAPS_TENSOR		BIT(6)
#define   AXON_CAPS_CONV		BIT(7)
#define   AXON_CAPS_POOL		BIT(8)
#define   AXON_CAPS_REDUCE		BIT(9)
#define   AXON_CAPS_MATMUL		BIT(10)
#define   AXON_CAPS_INT8_TENSOR		BIT(11)
#define   AXON_CAPS_KNOWN		GENMASK(11, 0)
#define AXON_NUM_QUEUES			0x00c
#define AXON_NUM_AS			0x010
#define AXON_VA_BITS			0x014
#define AXON_MAX_CMD_SIZE		0x018
#define AXON_MAX_GEMM_DIM		0x01c
#define AXON_DEV_CTRL			0x020
#define   AXON_DEV_CTRL_ENABLE		BIT(0)
#define   AXON_DEV_CTRL_RESET		BIT(31)
#define AXON_DEV_STATUS			0x024
#define   AXON_DEV_STATUS_READY		BIT(0)
#define   AXON_DEV_STATUS_FATAL		BIT(1)
#define   AXON_DEV_STATUS_RESETTING	BIT(2)
#define AXON_IRQ_STATUS			0x028
#define AXON_IRQ_MASK			0x02c
#define   AXON_IRQ_QUEUE(q)		BIT(q)
#define   AXON_IRQ_QUEUES		GENMASK(15, 0)
#define   AXON_IRQ_MMU_FAULT		BIT(16)
#define   AXON_IRQ_FATAL		BIT(17)
#define   AXON_IRQ_ERRORS		(AXON_IRQ_MMU_FAULT | AXON_IRQ_FATAL)
#define AXON_TIMESTAMP_LO		0x030
#define AXON_TIMESTAMP_HI		0x034
#define AXON_FATAL_CODE			0x038
#define AXON_MMU_FAULT_INFO		0x040
#define   AXON_MMU_FAULT_INFO_QUEUE	GENMASK(27, 24)
#define   AXON_MMU_FAULT_INFO_VALID	BIT(31)
#define AXON_MMU_FAULT_ADDR_LO		0x044
#define AXON_MMU_FAULT_ADDR_HI		0x048
#define AXON_MMU_FAULT_CLEAR		0x04c
/* v1.1 limits; read as zero on a v1.0 device */
#define AXON_MAX_RANK			0x050
#define AXON_MAX_DIM			0x054
#define AXON_WORK_BUDGET_LOG2		0x058
#define AXON_MAX_PLANE			0x05c

/* Address-space slots (BAR0) */
#define AXON_AS_BASE			0x1000
#define AXON_AS_STRIDE			0x20
#define AXON_AS_PT_LO			0x00
#define   AXON_AS_PT_LO_ENABLE		BIT(0)
#define   AXON_AS_PT_LO_ADDR		GENMASK(31, 12)
#define AXON_AS_PT_HI			0x04
#define AXON_AS_INVALIDATE		0x08
#define   AXON_AS_INVALIDATE_BUSY	BIT(0)
#define AXON_AS_STATUS			0x0c
#define   AXON_AS_STATUS_ENABLED	BIT(0)

/* Queues (BAR0) */
#define AXON_Q_BASE			0x2000
#define AXON_Q_STRIDE			0x100
#define AXON_Q_RING_LO			0x00
#define AXON_Q_RING_HI			0x04
#define AXON_Q_RING_SIZE		0x08
#define AXON_Q_CTRL			0x0c
#define   AXON_Q_CTRL_ENABLE		BIT(0)
#define   AXON_Q_CTRL_RESET		BIT(1)
#define   AXON_Q_CTRL_RESUME		BIT(2)
#define AXON_Q_HEAD			0x10
#define AXON_Q_TAIL			0x14
#define AXON_Q_STATUS			0x18
#define   AXON_Q_STATUS_STATE		GENMASK(3, 0)
#define     AXON_Q_STATE_DISABLED	0
#define     AXON_Q_STATE_IDLE		1
#define     AXON_Q_STATE_BUSY		2
#define     AXON_Q_STATE_ERROR		3
#define     AXON_Q_STATE_RESETTING	4
#define AXON_Q_ERROR			0x1c
#define   AXON_Q_ERR_NONE		0
#define   AXON_Q_ERR_MMU_FAULT		1
#define   AXON_Q_ERR_BAD_OPCODE		2
#define   AXON_Q_ERR_BAD_LENGTH		3
#define   AXON_Q_ERR_BAD_ARG		4
#define   AXON_Q_ERR_WAIT_TIMEOUT	5
#define   AXON_Q_ERR_DMA_ERROR		6
#define   AXON_Q_ERR_BAD_DESCRIPTOR	7
#define   AXON_Q_ERR_BAD_DOORBELL	8
#define   AXON_Q_ERR_BAD_CONFIG		9
#define   AXON_Q_ERR_FATAL		10
#define AXON_Q_ERR_SEQNO_LO		0x20
#define AXON_Q_ERR_SEQNO_HI		0x24
#define AXON_Q_ERR_OFFSET		0x28
#define AXON_Q_FAULT_INFO		0x2c
#define   AXON_Q_FAULT_INFO_WRITE	BIT(0)
#define   AXON_Q_FAULT_INFO_REASON	GENMASK(7, 4)
#define   AXON_Q_FAULT_INFO_SLOT	GENMASK(15, 8)
#define AXON_Q_FAULT_ADDR_LO		0x30
#define AXON_Q_FAULT_ADDR_HI		0x34
#define AXON_Q_COMPL_LO			0x38
#define AXON_Q_COMPL_HI			0x3c
#define AXON_Q_DONE_SEQNO_LO		0x40
#define AXON_Q_DONE_SEQNO_HI		0x44
#define AXON_Q_BUSY_NS_LO		0x48
#define AXON_Q_BUSY_NS_HI		0x4c

/* Limits of a v1 device */
#define AXON_MAX_HW_QUEUES		16
#define AXON_MAX_AS_SLOTS		64
#define AXON_HW_VA_BITS			48
#define AXON_RING_MIN_ENTRIES		2
#define AXON_RING_MAX_ENTRIES		4096

/* Device MMU: four levels of 512-entry tables, 4 KiB pages */
#define AXON_MMU_PAGE_SHIFT		12
#define AXON_MMU_PAGE_SIZE		BIT(AXON_MMU_PAGE_SHIFT)
#define AXON_MMU_LEVELS			4
#define AXON_MMU_LEVEL_BITS		9
#define AXON_MMU_ENTRIES		BIT(AXON_MMU_LEVEL_BITS)
#define AXON_MMU_TABLE_SIZE		(AXON_MMU_ENTRIES * sizeof(u64))

#define AXON_PTE_VALID			BIT_ULL(0)
#define AXON_PTE_READ			BIT_ULL(1)
#define AXON_PTE_WRITE			BIT_ULL(2)
#define AXON_PTE_ADDR			GENMASK_ULL(51, 12)

/**
 * struct axon_desc - ring descriptor, read by the device from host memory
 * @cmd_addr: device virtual address of the command buffer
 * @cmd_size: size of the command buffer in bytes
 * @as_slot: address-space slot the job runs in
 * @flags: AXON_DESC_FLAG_*
 * @seqno: written to the completion word when the job is done
 * @reserved: must be zero
 */
struct axon_desc {
	__le64 cmd_addr;
	__le32 cmd_size;
	__le16 as_slot;
	__le16 flags;
	__le64 seqno;
	__le64 reserved[5];
};

static_assert(sizeof(struct axon_desc) == 64);

#define AXON_DESC_FLAG_IRQ		BIT(0)

#endif /* __AXON_REGS_H__ */
