use resourceful::prelude::*;

#[api_resource]
pub struct Point(i64, f64, f64);

fn main() {}
