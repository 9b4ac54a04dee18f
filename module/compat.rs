// SPDX-License-Identifier: GPL-2.0

//! The differences between the kernel crates nlecho builds against, in one
//! place. Each `cfg` here is set by a feature probe in the top-level
//! `Kbuild`, so a new kernel needs no version table.

use kernel::module_param::ModuleParamAccess;

/// The value of a module parameter.
///
/// Up to 7.2, `ModuleParamAccess::value()` returns `&T`; from 7.3 it
/// returns `T` for `T: Copy`, and `value_ref()` returns the reference.
pub(crate) fn param<T: Copy>(param: &ModuleParamAccess<T>) -> T {
    #[cfg(nlecho_param_value_ref)]
    let value = param.value();
    #[cfg(not(nlecho_param_value_ref))]
    let value = *param.value();
    value
}
