/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Axon NPU: PCI glue (BARs, MSI-X/INTx, properties, reset).
 *
 * Specification: Documentation/accel/axon/hardware.rst. The device core
 * (registers, queues, MMU, commands) lives in axon_core.c.
 *
 *   -device axon[,queues=1..16][,as-slots=1..64][,compute-threads=1..16]
 *               [,debug=on]
 *
 * Runtime QOM properties (qom-set while the guest runs): hang-queues,
 * fail-next-dma, fail-next-reset, fatal-error, completion-delay-us.
 *
 * Power management: a PCI PM capability with D0 and D3hot (hardware.rst,
 * "Power management"). Entering D3hot resets the device core; in D3hot the
 * BARs do not decode (reads return all ones, writes are dropped) and the
 * device raises no interrupt.
 */
#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/module.h"
#include "qemu/range.h"
#include "qemu/units.h"
#include "qapi/error.h"
#include "qapi/visitor.h"
#include "exec/address-spaces.h"
#include "hw/pci/pci.h"
#include "hw/pci/msix.h"
#include "hw/qdev-properties.h"
#include "migration/vmstate.h"
#include "qom/object.h"
#include "axon_core.h"

#define TYPE_AXON "axon"
OBJECT_DECLARE_SIMPLE_TYPE(AxonState, AXON)

struct AxonState {
    PCIDevice parent_obj;

    MemoryRegion bar0;
    MemoryRegion bar2;
    AxonCore core;
    uint8_t pm_cap;         /* offset of the PM capability */
    bool d3hot;             /* PMCSR.PowerState is D3hot (BQL) */

    /* properties */
    uint32_t queues;
    uint32_t as_slots;
    uint32_t compute_threads;
    bool debug;
};

static bool axon_access_ok(const char *bar, hwaddr addr, unsigned size,
                           bool write)
{
    if (size != 4 || (addr & 3)) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "axon: %s %u-byte %s at 0x%" HWADDR_PRIx
                      " (only aligned 32-bit accesses)\n",
                      bar, size, write ? "write" : "read", addr);
        return false;
    }
    return true;
}

static uint64_t axon_bar0_read(void *opaque, hwaddr addr, unsigned size)
{
    AxonState *s = opaque;

    if (s->d3hot) {
        /* no memory decode in D3hot: the read ends in a master abort */
        qemu_log_mask(LOG_GUEST_ERROR, "axon: BAR0 read at 0x%" HWADDR_PRIx
                      " in D3hot\n", addr);
        return UINT32_MAX;
    }
    if (!axon_access_ok("BAR0", addr, size, false)) {
        return 0;
    }
    return axon_core_read(&s->core, addr);
}

static void axon_bar0_write(void *opaque, hwaddr addr, uint64_t val,
                            unsigned size)
{
    AxonState *s = opaque;

    if (s->d3hot) {
        qemu_log_mask(LOG_GUEST_ERROR, "axon: BAR0 write at 0x%" HWADDR_PRIx
                      " in D3hot dropped\n", addr);
        return;
    }
    if (axon_access_ok("BAR0", addr, size, true)) {
        axon_core_write(&s->core, addr, val);
    }
}

static uint64_t axon_bar2_read(void *opaque, hwaddr addr, unsigned size)
{
    AxonState *s = opaque;

    if (s->d3hot) {
        return UINT32_MAX;
    }
    axon_access_ok("BAR2", addr, size, false);
    return 0;
}

static void axon_bar2_write(void *opaque, hwaddr addr, uint64_t val,
                            unsigned size)
{
    AxonState *s = opaque;
    unsigned q = addr / AXON_DOORBELL_STRIDE;

    if (s->d3hot) {
        qemu_log_mask(LOG_GUEST_ERROR, "axon: doorbell write 0x%" PRIx64
                      " in D3hot dropped\n", val);
        return;
    }
    if (!axon_access_ok("BAR2", addr, size, true)) {
        return;
    }
    if (q >= s->queues || addr % AXON_DOORBELL_STRIDE) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "axon: doorbell write 0x%" PRIx64 " to bad offset 0x%"
                      HWADDR_PRIx "\n", val, addr);
        return;
    }
    axon_core_doorbell(&s->core, q, val);
}

static const MemoryRegionOps axon_bar0_ops = {
    .read = axon_bar0_read,
    .write = axon_bar0_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 8, .unaligned = true },
    .impl = { .min_access_size = 1, .max_access_size = 8, .unaligned = true },
};

static const MemoryRegionOps axon_bar2_ops = {
    .read = axon_bar2_read,
    .write = axon_bar2_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 8, .unaligned = true },
    .impl = { .min_access_size = 1, .max_access_size = 8, .unaligned = true },
};

static void axon_msi_notify(void *opaque, unsigned vector)
{
    PCIDevice *pdev = opaque;

    if (AXON(pdev)->d3hot) {
        return;
    }
    if (msix_enabled(pdev)) {
        msix_notify(pdev, vector);
    }
}

static void axon_set_intx(void *opaque, bool level)
{
    PCIDevice *pdev = opaque;

    pci_set_irq(pdev, level && !msix_enabled(pdev) && !AXON(pdev)->d3hot);
}

static const AxonCoreOps axon_core_ops = {
    .msi_notify = axon_msi_notify,
    .set_intx = axon_set_intx,
};

static uint16_t axon_pm_state(AxonState *s)
{
    return pci_get_word(s->parent_obj.config + s->pm_cap + PCI_PM_CTRL) &
           PCI_PM_CTRL_STATE_MASK;
}

static void axon_pm_set_state(AxonState *s, uint16_t state)
{
    uint8_t *pmcsr = s->parent_obj.config + s->pm_cap + PCI_PM_CTRL;

    pci_set_word(pmcsr, (pci_get_word(pmcsr) & ~PCI_PM_CTRL_STATE_MASK) |
                 state);
}

/*
 * A write to PMCSR. D1 and D2 are not supported: such a write completes but
 * changes nothing (PCI PM 1.2, 7.2.2). D0 -> D3hot resets the device core,
 * which cancels every job, so that no DMA or interrupt follows; D3hot -> D0
 * (NoSoftReset is 0) resets it again: the device returns with every
 * register at its reset value, whatever was done to it in D3hot.
 */
static void axon_pm_update(AxonState *s, uint16_t old)
{
    uint16_t new = axon_pm_state(s);

    if (new == 1 || new == 2) {
        qemu_log_mask(LOG_GUEST_ERROR, "axon: unsupported power state D%u "
                      "ignored\n", new);
        axon_pm_set_state(s, old);
        new = old;
    }
    if (new == old) {
        return;
    }
    axon_core_reset(&s->core);
    s->d3hot = new == 3;
    axon_core_update_intx(&s->core);
}

static void axon_write_config(PCIDevice *pdev, uint32_t addr, uint32_t val,
                              int len)
{
    AxonState *s = AXON(pdev);
    uint16_t old = axon_pm_state(s);

    pci_default_write_config(pdev, addr, val, len);
    if (ranges_overlap(addr, len, s->pm_cap + PCI_PM_CTRL, 2)) {
        axon_pm_update(s, old);
    }
    /* MSI-X enable or INTx disable may have changed */
    axon_core_update_intx(&s->core);
}

static void axon_realize(PCIDevice *pdev, Error **errp)
{
    AxonState *s = AXON(pdev);
    int ret;

    if (s->queues < 1 || s->queues > AXON_MAX_QUEUES) {
        error_setg(errp, "axon: queues must be 1..%u", AXON_MAX_QUEUES);
        return;
    }
    if (s->as_slots < 1 || s->as_slots > AXON_MAX_AS) {
        error_setg(errp, "axon: as-slots must be 1..%u", AXON_MAX_AS);
        return;
    }
    if (s->compute_threads < 1 ||
        s->compute_threads > AXON_COMPUTE_THREADS_MAX) {
        error_setg(errp, "axon: compute-threads must be 1..%u",
                   AXON_COMPUTE_THREADS_MAX);
        return;
    }

    /*
     * The queue workers access guest memory without the BQL, holding the
     * device's own locks (axon_core.h), which the vCPU threads take with
     * the BQL held. Behind a virtual IOMMU a translation can take the BQL
     * (a fault event is an MSI write): a worker would then wait for the
     * BQL while a vCPU waits for its lock. Refuse that configuration.
     */
    if (pci_device_iommu_address_space(pdev) != &address_space_memory) {
        error_setg(errp, "axon: not supported behind a virtual IOMMU");
        return;
    }

    pci_config_set_interrupt_pin(pdev->config, 1);

    memory_region_init_io(&s->bar0, OBJECT(s), &axon_bar0_ops, s,
                          "axon-regs", AXON_BAR0_SIZE);
    pci_register_bar(pdev, AXON_BAR_REGS, PCI_BASE_ADDRESS_SPACE_MEMORY,
                     &s->bar0);
    memory_region_init_io(&s->bar2, OBJECT(s), &axon_bar2_ops, s,
                          "axon-doorbells",
                          pow2ceil(s->queues) * AXON_DOORBELL_STRIDE);
    pci_register_bar(pdev, AXON_BAR_DOORBELL, PCI_BASE_ADDRESS_SPACE_MEMORY,
                     &s->bar2);

    ret = msix_init_exclusive_bar(pdev, s->queues + 1, AXON_BAR_MSIX, errp);
    if (ret) {
        return;
    }
    for (unsigned v = 0; v <= s->queues; v++) {
        msix_vector_use(pdev, v);
    }

    /* PCI PM 1.2: D0 and D3hot only, no PME, NoSoftReset 0 */
    ret = pci_add_capability(pdev, PCI_CAP_ID_PM, 0, PCI_PM_SIZEOF, errp);
    if (ret < 0) {
        msix_unuse_all_vectors(pdev);
        msix_uninit_exclusive_bar(pdev);
        return;
    }
    s->pm_cap = ret;
    pci_set_word(pdev->config + s->pm_cap + PCI_PM_PMC, 3);
    pci_set_word(pdev->config + s->pm_cap + PCI_PM_CTRL, 0);
    pci_set_word(pdev->wmask + s->pm_cap + PCI_PM_CTRL,
                 PCI_PM_CTRL_STATE_MASK);

    s->core.compute_threads = s->compute_threads;
    axon_core_init(&s->core, s->queues, s->as_slots, s->debug,
                   pci_get_address_space(pdev),
                   &DEVICE(s)->mem_reentrancy_guard, &axon_core_ops, pdev);
}

static void axon_exit(PCIDevice *pdev)
{
    AxonState *s = AXON(pdev);

    axon_core_fini(&s->core);
    msix_unuse_all_vectors(pdev);
    msix_uninit_exclusive_bar(pdev);
}

static void axon_qdev_reset(DeviceState *dev)
{
    AxonState *s = AXON(dev);

    /* A conventional reset returns the function to D0 */
    axon_pm_set_state(s, 0);
    s->d3hot = false;
    axon_core_reset(&s->core);
}

/* ---- runtime fault-injection properties ---- */

static bool axon_prop_runtime(Object *obj, Error **errp)
{
    if (!DEVICE(obj)->realized) {
        error_setg(errp, "axon: fault-injection properties can only be set "
                   "on a realized device (use qom-set)");
        return false;
    }
    return true;
}

static void axon_get_hang(Object *obj, Visitor *v, const char *name,
                          void *opaque, Error **errp)
{
    AxonState *s = AXON(obj);
    uint32_t val = DEVICE(obj)->realized ? axon_core_get_hang(&s->core) : 0;

    visit_type_uint32(v, name, &val, errp);
}

static void axon_set_hang(Object *obj, Visitor *v, const char *name,
                          void *opaque, Error **errp)
{
    AxonState *s = AXON(obj);
    uint32_t val;

    if (!visit_type_uint32(v, name, &val, errp) || !axon_prop_runtime(obj, errp)) {
        return;
    }
    if (val & ~((1u << s->queues) - 1)) {
        error_setg(errp, "axon: hang-queues 0x%x has bits beyond %u queues",
                   val, s->queues);
        return;
    }
    axon_core_set_hang(&s->core, val);
}

static void axon_get_fail_dma(Object *obj, Visitor *v, const char *name,
                              void *opaque, Error **errp)
{
    AxonState *s = AXON(obj);
    bool val = DEVICE(obj)->realized && axon_core_get_fail_dma(&s->core);

    visit_type_bool(v, name, &val, errp);
}

static void axon_set_fail_dma(Object *obj, Visitor *v, const char *name,
                              void *opaque, Error **errp)
{
    AxonState *s = AXON(obj);
    bool val;

    if (!visit_type_bool(v, name, &val, errp) || !axon_prop_runtime(obj, errp)) {
        return;
    }
    axon_core_set_fail_dma(&s->core, val);
}

static void axon_get_fail_reset(Object *obj, Visitor *v, const char *name,
                                void *opaque, Error **errp)
{
    AxonState *s = AXON(obj);
    bool val = DEVICE(obj)->realized && axon_core_get_fail_reset(&s->core);

    visit_type_bool(v, name, &val, errp);
}

static void axon_set_fail_reset(Object *obj, Visitor *v, const char *name,
                                void *opaque, Error **errp)
{
    AxonState *s = AXON(obj);
    bool val;

    if (!visit_type_bool(v, name, &val, errp) || !axon_prop_runtime(obj, errp)) {
        return;
    }
    axon_core_set_fail_reset(&s->core, val);
}

static void axon_get_fatal(Object *obj, Visitor *v, const char *name,
                           void *opaque, Error **errp)
{
    AxonState *s = AXON(obj);
    bool val = DEVICE(obj)->realized && axon_core_get_fatal(&s->core);

    visit_type_bool(v, name, &val, errp);
}

static void axon_set_fatal(Object *obj, Visitor *v, const char *name,
                           void *opaque, Error **errp)
{
    AxonState *s = AXON(obj);
    bool val;

    if (!visit_type_bool(v, name, &val, errp) || !axon_prop_runtime(obj, errp)) {
        return;
    }
    if (val) {
        axon_core_raise_fatal(&s->core, AXON_FATAL_INJECTED);
    }
}

static void axon_get_delay(Object *obj, Visitor *v, const char *name,
                           void *opaque, Error **errp)
{
    AxonState *s = AXON(obj);
    uint32_t val = DEVICE(obj)->realized ? axon_core_get_delay(&s->core) : 0;

    visit_type_uint32(v, name, &val, errp);
}

static void axon_set_delay(Object *obj, Visitor *v, const char *name,
                           void *opaque, Error **errp)
{
    AxonState *s = AXON(obj);
    uint32_t val;

    if (!visit_type_uint32(v, name, &val, errp) || !axon_prop_runtime(obj, errp)) {
        return;
    }
    if (!axon_core_set_delay(&s->core, val)) {
        error_setg(errp, "axon: completion-delay-us must be 0..%u",
                   AXON_DBG_DELAY_MAX);
    }
}

static const VMStateDescription vmstate_axon = {
    .name = "axon",
    .unmigratable = 1,
};

static Property axon_properties[] = {
    DEFINE_PROP_UINT32("queues", AxonState, queues, AXON_DEFAULT_QUEUES),
    DEFINE_PROP_UINT32("as-slots", AxonState, as_slots, AXON_DEFAULT_AS),
    DEFINE_PROP_UINT32("compute-threads", AxonState, compute_threads, 1),
    DEFINE_PROP_BOOL("debug", AxonState, debug, false),
    DEFINE_PROP_END_OF_LIST(),
};

static void axon_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PCIDeviceClass *k = PCI_DEVICE_CLASS(klass);

    k->realize = axon_realize;
    k->exit = axon_exit;
    k->config_write = axon_write_config;
    k->vendor_id = AXON_PCI_VENDOR_ID;
    k->device_id = AXON_PCI_DEVICE_ID;
    k->revision = AXON_PCI_REVISION;
    k->class_id = AXON_PCI_CLASS;
    k->subsystem_vendor_id = AXON_PCI_SUBSYS_VENDOR_ID;
    k->subsystem_id = AXON_PCI_SUBSYS_ID;
    dc->desc = "Axon NPU (DRM accel test device)";
    dc->vmsd = &vmstate_axon;
    dc->reset = axon_qdev_reset;
    device_class_set_props(dc, axon_properties);
    set_bit(DEVICE_CATEGORY_MISC, dc->categories);

    object_class_property_add(klass, "hang-queues", "uint32", axon_get_hang,
                              axon_set_hang, NULL, NULL);
    object_class_property_set_description(klass, "hang-queues",
        "Mask of queues whose next descriptor hangs until reset");
    object_class_property_add(klass, "fail-next-dma", "bool",
                              axon_get_fail_dma, axon_set_fail_dma, NULL, NULL);
    object_class_property_set_description(klass, "fail-next-dma",
        "Make the next DMA access fail at the bus level");
    object_class_property_add(klass, "fail-next-reset", "bool",
                              axon_get_fail_reset, axon_set_fail_reset,
                              NULL, NULL);
    object_class_property_set_description(klass, "fail-next-reset",
        "Make the next whole-device reset leave the device not READY");
    object_class_property_add(klass, "fatal-error", "bool", axon_get_fatal,
                              axon_set_fatal, NULL, NULL);
    object_class_property_set_description(klass, "fatal-error",
        "Setting true raises a fatal device error; reads the FATAL state");
    object_class_property_add(klass, "completion-delay-us", "uint32",
                              axon_get_delay, axon_set_delay, NULL, NULL);
    object_class_property_set_description(klass, "completion-delay-us",
        "Delay every completion by this many microseconds (0..1000000)");
}

static const TypeInfo axon_info = {
    .name = TYPE_AXON,
    .parent = TYPE_PCI_DEVICE,
    .instance_size = sizeof(AxonState),
    .class_init = axon_class_init,
    .interfaces = (InterfaceInfo[]) {
        { INTERFACE_CONVENTIONAL_PCI_DEVICE },
        { },
    },
};

static void axon_register_types(void)
{
    type_register_static(&axon_info);
}

type_init(axon_register_types)
