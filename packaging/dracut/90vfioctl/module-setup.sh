#!/bin/bash
# dracut module of vfioctl: carries the udev rule that vfioctl generates from the declared
# assignments (/etc/udev/rules.d/40-vfioctl.rules) into the initramfs, with every module its lines
# load ("kmod load X": vfio-pci, pci-stub, variant drivers) and vfio's own modules, so a declared
# device gets driver_override set before the initramfs loads its native driver.

_vfioctl_rules() {
    echo "${VFIOCTL_RULES:-/etc/udev/rules.d/40-vfioctl.rules}"
}

# vfio-pci and what it stands on, and the modules named by the "kmod load" of any line of the
# rules file, each once.
_vfioctl_modules() {
    local rules
    rules=$(_vfioctl_rules)
    {
        echo vfio vfio_iommu_type1 vfio_pci_core vfio-pci iommufd irqbypass
        [[ -r $rules ]] && grep -v '^[[:space:]]*#' "$rules" | grep -o 'kmod load [^"]*' | sed 's/^kmod load //'
    } | tr ' \t' '\n\n' | sed '/^$/d' | sort -u
}

# Included whenever something is declared; otherwise only when asked for (255).
check() {
    [[ -r $(_vfioctl_rules) ]] || return 255
    return 0
}

depends() {
    echo udev-rules
    return 0
}

installkernel() {
    local mods
    mods=$(_vfioctl_modules)
    # hostonly='': the modules go in even if not loaded right now (the rule loads them at boot).
    # shellcheck disable=SC2086
    hostonly='' instmods $mods
}

install() {
    local rules
    rules=$(_vfioctl_rules)
    [[ -r $rules ]] || return 0
    inst_simple "$rules" /etc/udev/rules.d/40-vfioctl.rules
}
