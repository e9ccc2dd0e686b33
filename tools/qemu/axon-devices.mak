# SPDX-License-Identifier: GPL-2.0-only
# Device set for the Axon QEMU build (--without-default-devices).
# Installed as configs/devices/x86_64-softmmu/axon.mak by build.sh.
CONFIG_I440FX=y
CONFIG_Q35=y
CONFIG_ISA_DEBUG=y
CONFIG_VTD=y
# the pc machines default to -vga std, even with -nographic
CONFIG_VGA_PCI=y
# and to a parallel port unless -parallel none
CONFIG_PARALLEL=y
# and to a NIC (e1000 for pc, e1000e for q35) unless -nic none
CONFIG_E1000_PCI=y
CONFIG_E1000E_PCI_EXPRESS=y
CONFIG_AXON=y
