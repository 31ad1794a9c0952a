//! The web-form channel against loopback replicas of real office forms (../shared), reached
//! under the offices' real names through address overrides.

mod browser;
mod generic;
mod hand_written;
mod murphy;
mod pattern_replicas;
mod patterns;
mod replica;
mod senate_figures;
mod support;
mod white_house;
