// SPDX-License-Identifier: GPL-2.0

//! The `message` parameter, declared in C (`nlecho_trigger_param.c`).

use kernel::prelude::*;

extern "C" {
    fn nlecho_trigger_message() -> *const c_char;
}

/// The `message` parameter's text, without its NUL.
pub(crate) fn message() -> &'static [u8] {
    // SAFETY: Plain call to the getter, which returns the parameter: a
    // NUL-terminated string or NULL.
    let text = unsafe { nlecho_trigger_message() };
    if text.is_null() {
        return b"";
    }
    // SAFETY: `text` is a NUL-terminated string owned by the module's
    // parameter, which is only written at load time (the parameter is
    // read-only in sysfs) and freed with the module: `'static` here means
    // as long as this module's code can run, like any of its statics.
    unsafe { CStr::from_char_ptr(text) }.to_bytes()
}
