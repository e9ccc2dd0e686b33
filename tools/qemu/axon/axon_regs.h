/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Axon NPU register and structure definitions.
 *
 * Source of truth: Documentation/accel/axon/hardware.rst.
 */
#ifndef HW_MISC_AXON_REGS_H
#define HW_MISC_AXON_REGS_H

/* PCI identity */
#define AXON_PCI_VENDOR_ID          0x1af4
#define AXON_PCI_DEVICE_ID          0x10f0
#define AXON_PCI_REVISION           0x01
#define AXON_PCI_CLASS              0x1200
#define AXON_PCI_SUBSYS_VENDOR_ID   0x1af4
#define AXON_PCI_SUBSYS_ID          0x0001

/* BARs */
#define AXON_BAR_REGS               0
#define AXON_BAR_DOORBELL           2
#define AXON_BAR_MSIX               4
#define AXON_BAR0_SIZE              0x10000
#define AXON_DOORBELL_STRIDE        0x1000

/* Limits */
#define AXON_MAX_QUEUES             16
#define AXON_MAX_AS                 64
#define AXON_DEFAULT_QUEUES         4
#define AXON_DEFAULT_AS             16
#define AXON_VA_BITS                48
#define AXON_VA_LIMIT               (1ULL << AXON_VA_BITS)
#define AXON_MAX_CMD_SIZE           0x00100000u
#define AXON_MAX_GEMM_DIM           16384u
#define AXON_RING_MIN               2u
#define AXON_RING_MAX               4096u
#define AXON_PAGE_SIZE              4096ULL
#define AXON_PAGE_MASK              (~(AXON_PAGE_SIZE - 1))

/* Global registers */
#define AXON_REG_ID                 0x000
#define AXON_REG_VERSION            0x004
#define AXON_REG_CAPS               0x008
#define AXON_REG_NUM_QUEUES         0x00c
#define AXON_REG_NUM_AS             0x010
#define AXON_REG_VA_BITS            0x014
#define AXON_REG_MAX_CMD_SIZE       0x018
#define AXON_REG_MAX_GEMM_DIM       0x01c
#define AXON_REG_DEV_CTRL           0x020
#define AXON_REG_DEV_STATUS         0x024
#define AXON_REG_IRQ_STATUS         0x028
#define AXON_REG_IRQ_MASK           0x02c
#define AXON_REG_TIMESTAMP_LO       0x030
#define AXON_REG_TIMESTAMP_HI       0x034
#define AXON_REG_FATAL_CODE         0x038
#define AXON_REG_MMU_FAULT_INFO     0x040
#define AXON_REG_MMU_FAULT_ADDR_LO  0x044
#define AXON_REG_MMU_FAULT_ADDR_HI  0x048
#define AXON_REG_MMU_FAULT_CLEAR    0x04c
#define AXON_REG_MAX_RANK           0x050
#define AXON_REG_MAX_DIM            0x054
#define AXON_REG_WORK_BUDGET_LOG2   0x058
#define AXON_REG_MAX_PLANE          0x05c

#define AXON_ID_VALUE               0x4e4f5841u /* "AXON" */
#define AXON_VERSION_VALUE          0x00010001u

#define AXON_CAPS_GEMM_FP32         (1u << 0)
#define AXON_CAPS_GEMM_INT8         (1u << 1)
#define AXON_CAPS_ELTWISE           (1u << 2)
#define AXON_CAPS_TIMESTAMP         (1u << 3)
#define AXON_CAPS_DEBUG             (1u << 4)
#define AXON_CAPS_WAIT_SIGNAL       (1u << 5)
#define AXON_CAPS_TENSOR            (1u << 6)
#define AXON_CAPS_CONV              (1u << 7)
#define AXON_CAPS_POOL              (1u << 8)
#define AXON_CAPS_REDUCE            (1u << 9)
#define AXON_CAPS_MATMUL            (1u << 10)
#define AXON_CAPS_INT8_TENSOR       (1u << 11)
#define AXON_CAPS_TENSOR_ALL        (0x3fu << 6)

/* v1.1 tensor limits */
#define AXON_MAX_RANK               6u
#define AXON_MAX_DIM                (1u << 30)
#define AXON_MAX_ELEMS              (1ull << 30)
#define AXON_WORK_BUDGET_LOG2       36u
#define AXON_MAX_PLANE              (1u << 24)
#define AXON_COMPUTE_THREADS_MAX    16u

#define AXON_DEV_CTRL_ENABLE        (1u << 0)
#define AXON_DEV_CTRL_RESET         (1u << 31)
#define AXON_DEV_CTRL_VALID         (AXON_DEV_CTRL_ENABLE | AXON_DEV_CTRL_RESET)

#define AXON_DEV_STATUS_READY       (1u << 0)
#define AXON_DEV_STATUS_FATAL       (1u << 1)
#define AXON_DEV_STATUS_RESETTING   (1u << 2)

#define AXON_FATAL_NONE             0
#define AXON_FATAL_INJECTED         1
#define AXON_FATAL_INTERNAL         2

#define AXON_IRQ_MMU_FAULT          (1u << 16)
#define AXON_IRQ_FATAL              (1u << 17)
#define AXON_IRQ_ERR_MASK           (AXON_IRQ_MMU_FAULT | AXON_IRQ_FATAL)

#define AXON_MMU_FAULT_VALID        (1u << 31)
#define AXON_MMU_FAULT_QUEUE_SHIFT  24

/* Address-space slots */
#define AXON_AS_BASE                0x1000
#define AXON_AS_STRIDE              0x20
#define AXON_AS_PT_LO               0x00
#define AXON_AS_PT_HI               0x04
#define AXON_AS_INVALIDATE          0x08
#define AXON_AS_STATUS              0x0c
#define AXON_AS_PT_ENABLE           (1u << 0)
#define AXON_AS_PT_ADDR_MASK        0xfffff000u
#define AXON_AS_STATUS_ENABLED      (1u << 0)

/* Queues */
#define AXON_Q_BASE                 0x2000
#define AXON_Q_STRIDE               0x100
#define AXON_Q_RING_LO              0x00
#define AXON_Q_RING_HI              0x04
#define AXON_Q_RING_SIZE            0x08
#define AXON_Q_CTRL                 0x0c
#define AXON_Q_HEAD                 0x10
#define AXON_Q_TAIL                 0x14
#define AXON_Q_STATUS               0x18
#define AXON_Q_ERROR                0x1c
#define AXON_Q_ERR_SEQNO_LO         0x20
#define AXON_Q_ERR_SEQNO_HI         0x24
#define AXON_Q_ERR_OFFSET           0x28
#define AXON_Q_FAULT_INFO           0x2c
#define AXON_Q_FAULT_ADDR_LO        0x30
#define AXON_Q_FAULT_ADDR_HI        0x34
#define AXON_Q_COMPL_LO             0x38
#define AXON_Q_COMPL_HI             0x3c
#define AXON_Q_DONE_SEQNO_LO        0x40
#define AXON_Q_DONE_SEQNO_HI        0x44
#define AXON_Q_BUSY_NS_LO           0x48
#define AXON_Q_BUSY_NS_HI           0x4c

#define AXON_Q_CTRL_ENABLE          (1u << 0)
#define AXON_Q_CTRL_RESET           (1u << 1)
#define AXON_Q_CTRL_RESUME          (1u << 2)
#define AXON_Q_CTRL_VALID           (AXON_Q_CTRL_ENABLE | AXON_Q_CTRL_RESET | \
                                     AXON_Q_CTRL_RESUME)

enum AxonQueueState {
    AXON_QS_DISABLED = 0,
    AXON_QS_IDLE = 1,
    AXON_QS_BUSY = 2,
    AXON_QS_ERROR = 3,
    AXON_QS_RESETTING = 4,
};

enum AxonError {
    AXON_ERR_NONE = 0,
    AXON_ERR_MMU_FAULT = 1,
    AXON_ERR_BAD_OPCODE = 2,
    AXON_ERR_BAD_LENGTH = 3,
    AXON_ERR_BAD_ARG = 4,
    AXON_ERR_WAIT_TIMEOUT = 5,
    AXON_ERR_DMA_ERROR = 6,
    AXON_ERR_BAD_DESCRIPTOR = 7,
    AXON_ERR_BAD_DOORBELL = 8,
    AXON_ERR_BAD_CONFIG = 9,
    AXON_ERR_FATAL = 10,
};

/* Qn_FAULT_INFO */
#define AXON_FAULT_WRITE            (1u << 0)
#define AXON_FAULT_REASON_SHIFT     4
#define AXON_FAULT_SLOT_SHIFT       8
enum AxonFaultReason {
    AXON_FAULT_NOT_PRESENT = 1,
    AXON_FAULT_PERMISSION = 2,
    AXON_FAULT_RANGE = 3,
    AXON_FAULT_BAD_ENTRY = 4,
};

/* Page-table entries */
#define AXON_PTE_VALID              (1ULL << 0)
#define AXON_PTE_READ               (1ULL << 1)
#define AXON_PTE_WRITE              (1ULL << 2)
#define AXON_PTE_ADDR_MASK          0x000ffffffffff000ULL
#define AXON_PTE_RSVD_MASK          0xfff0000000000ff8ULL

/* Debug block */
#define AXON_DBG_BASE               0x8000
#define AXON_DBG_ID                 0x8000
#define AXON_DBG_HANG               0x8004
#define AXON_DBG_FAIL_DMA           0x8008
#define AXON_DBG_FATAL              0x800c
#define AXON_DBG_DELAY_US           0x8010
#define AXON_DBG_FAIL_RESET         0x8014
#define AXON_DBG_END                0x9000
#define AXON_DBG_ID_VALUE           0x47554244u /* "DBUG" */
#define AXON_DBG_DELAY_MAX          1000000u

/* Ring descriptor (64 bytes) */
#define AXON_DESC_SIZE              64
#define AXON_DESC_FLAG_IRQ          (1u << 0)

/* Commands */
#define AXON_CMD_HDR_SIZE           8
enum AxonOpcode {
    AXON_OP_NOP = 0x01,
    AXON_OP_COPY = 0x02,
    AXON_OP_FILL = 0x03,
    AXON_OP_GEMM = 0x04,
    AXON_OP_ELTWISE = 0x05,
    AXON_OP_SIGNAL = 0x06,
    AXON_OP_WAIT = 0x07,
    AXON_OP_TIMESTAMP = 0x08,
    AXON_OP_TCOPY = 0x10,
    AXON_OP_TELT = 0x11,
    AXON_OP_CONV2D = 0x12,
    AXON_OP_CONVT2D = 0x13,
    AXON_OP_POOL2D = 0x14,
    AXON_OP_RESIZE = 0x15,
    AXON_OP_REDUCE = 0x16,
    AXON_OP_SOFTMAX = 0x17,
    AXON_OP_MATMUL = 0x18,
};

/* Command lengths in 8-byte words, header included */
#define AXON_TCOPY_WORDS            18
#define AXON_TELT_WORDS             27
#define AXON_CONV_WORDS             49
#define AXON_POOL_WORDS             20
#define AXON_RESIZE_WORDS           20
#define AXON_REDUCE_WORDS           18
#define AXON_SOFTMAX_WORDS          18
#define AXON_MATMUL_WORDS           37
#define AXON_CMD_MAX_BYTES          (AXON_CONV_WORDS * 8)

/* Tensor descriptor */
#define AXON_TD_SIZE                64
enum AxonDtype {
    AXON_DT_FP32 = 0,
    AXON_DT_INT32 = 1,
    AXON_DT_INT8 = 2,
    AXON_DT_UINT8 = 3,
};

/* TELT and epilogue operation codes */
enum AxonTensorOp {
    AXON_TOP_ADD = 0,
    AXON_TOP_SUB = 1,
    AXON_TOP_MUL = 2,
    AXON_TOP_DIV = 3,
    AXON_TOP_MIN = 4,
    AXON_TOP_MAX = 5,
    AXON_TOP_POW = 6,
    AXON_TOP_PRELU = 7,
    AXON_TOP_RELU = 16,
    AXON_TOP_CLIP = 17,
    AXON_TOP_SIGMOID = 18,
    AXON_TOP_HARDSIGMOID = 19,
    AXON_TOP_HARDSWISH = 20,
    AXON_TOP_TANH = 21,
    AXON_TOP_EXP = 22,
    AXON_TOP_SQRT = 23,
    AXON_TOP_NEG = 24,
    AXON_TOP_ABS = 25,
    AXON_TOP_LOG = 26,
    AXON_TOP_RECIP = 27,
    AXON_TOP_LEAKYRELU = 28,
    AXON_TOP_ERF = 29,
    AXON_TOP_IDENTITY = 30,
};

#define AXON_TCOPY_CONVERT          0
#define AXON_TCOPY_QUANTIZE         1
#define AXON_TCOPY_DEQUANTIZE       2
#define AXON_TCOPY_MODE_MASK        0x3u

enum AxonPoolOp {
    AXON_POOL_MAX = 0,
    AXON_POOL_AVG = 1,
    AXON_POOL_AVG_PAD = 2,
};

enum AxonResizeMode { AXON_RESIZE_NEAREST = 0, AXON_RESIZE_LINEAR = 1 };
enum AxonResizeCoord {
    AXON_COORD_HALF_PIXEL = 0,
    AXON_COORD_ASYMMETRIC = 1,
    AXON_COORD_ALIGN_CORNERS = 2,
    AXON_COORD_PYTORCH_HALF_PIXEL = 3,
    AXON_COORD_TF_HALF_PIXEL_FOR_NN = 4,
};
enum AxonResizeNearest {
    AXON_NEAREST_ROUND_PREFER_FLOOR = 0,
    AXON_NEAREST_ROUND_PREFER_CEIL = 1,
    AXON_NEAREST_FLOOR = 2,
    AXON_NEAREST_CEIL = 3,
};

enum AxonReduceOp {
    AXON_RED_SUM = 0,
    AXON_RED_MEAN = 1,
    AXON_RED_MAX = 2,
    AXON_RED_MIN = 3,
    AXON_RED_PROD = 4,
    AXON_RED_SUMSQUARE = 5,
    AXON_RED_L2 = 6,
};
#define AXON_SOFTMAX_LOG            (1u << 0)

#define AXON_GEMM_TYPE_MASK         0x3u
#define AXON_GEMM_TYPE_FP32         0
#define AXON_GEMM_TYPE_INT8         1
#define AXON_GEMM_ACCUMULATE        (1u << 2)

enum AxonEltwiseOp {
    AXON_ELT_ADD = 0,
    AXON_ELT_MUL = 1,
    AXON_ELT_RELU = 2,
    AXON_ELT_CVT = 3,
};
#define AXON_ELT_FLAG_INT32         (1u << 0)
#define AXON_ELT_MAX_COUNT          (1u << 28)

#define AXON_SIGNAL_FLAG_IRQ        (1u << 0)
#define AXON_WAIT_MAX_TIMEOUT_US    10000000u

#define AXON_COPY_MAX               (1ULL << 32)

#endif
