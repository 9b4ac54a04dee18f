//! The names of message types: the one table that output, option parsing
//! and anything else naming a type reads.

use crate::wire;

/// A message type and its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MessageType {
    /// The `nlmsg_type`.
    pub ty: u16,
    /// Its name, as `wire.rs` spells it without the prefix.
    pub name: &'static str,
    /// One of nlecho's own types, which a user may ask to send by name;
    /// netlink's control messages (NOOP, ERROR, DONE, OVERRUN) are named
    /// when they arrive, and sent by number only.
    pub nlecho: bool,
}

const fn nlecho(ty: u16, name: &'static str) -> MessageType {
    MessageType {
        ty,
        name,
        nlecho: true,
    }
}

const fn control(ty: u16, name: &'static str) -> MessageType {
    MessageType {
        ty,
        name,
        nlecho: false,
    }
}

/// Every named type, in numeric order.
pub const MESSAGE_TYPES: [MessageType; 11] = [
    nlecho(wire::NLECHO_CLASSIC, "CLASSIC"),
    control(wire::NLMSG_NOOP, "NOOP"),
    control(wire::NLMSG_ERROR, "ERROR"),
    control(wire::NLMSG_DONE, "DONE"),
    control(wire::NLMSG_OVERRUN, "OVERRUN"),
    nlecho(wire::NLECHO_CMD_ECHO, "ECHO"),
    nlecho(wire::NLECHO_CMD_BROADCAST, "BROADCAST"),
    nlecho(wire::NLECHO_CMD_STATS, "STATS"),
    nlecho(wire::NLECHO_CMD_RESET_STATS, "RESET_STATS"),
    nlecho(wire::NLECHO_CMD_NOTIFY, "NOTIFY"),
    nlecho(wire::NLECHO_CMD_GET_GROUP, "GET_GROUP"),
];

/// The name of `ty`, if it has one.
pub fn name(ty: u16) -> Option<&'static str> {
    MESSAGE_TYPES.iter().find(|t| t.ty == ty).map(|t| t.name)
}

/// The nlecho type called `name`, in any case, with `-` or `_` between
/// words (`get-group`, `GET_GROUP`).
pub fn by_name(name: &str) -> Option<u16> {
    let name = name.replace('-', "_");
    MESSAGE_TYPES
        .iter()
        .find(|t| t.nlecho && t.name.eq_ignore_ascii_case(&name))
        .map(|t| t.ty)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_in_numeric_order() {
        for pair in MESSAGE_TYPES.windows(2) {
            assert!(pair[0].ty < pair[1].ty, "{pair:?}");
        }
        for t in MESSAGE_TYPES {
            assert_eq!(name(t.ty), Some(t.name));
        }
        assert_eq!(name(0x16), None);
    }

    #[test]
    fn only_nlecho_types_are_found_by_name() {
        assert_eq!(by_name("echo"), Some(wire::NLECHO_CMD_ECHO));
        assert_eq!(by_name("Reset-Stats"), Some(wire::NLECHO_CMD_RESET_STATS));
        assert_eq!(by_name("get_group"), Some(wire::NLECHO_CMD_GET_GROUP));
        assert_eq!(by_name("classic"), Some(wire::NLECHO_CLASSIC));
        for control in ["noop", "error", "done", "overrun", "", "get group"] {
            assert_eq!(by_name(control), None, "{control}");
        }
    }
}
