//! The web-form channel against loopback replicas of real office forms (../shared), reached
//! under the offices' real names through address overrides.

mod browser;
mod generic;
mod hand_written;
mod murphy;
mod patterns;
mod replica;
mod support;
mod white_house;
