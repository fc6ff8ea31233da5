# Order-book snapshots and incremental updates.
@0xe8b27f1c5a93d406;

struct Level {
  price @0 :Float64;
  quantity @1 :UInt32;
}

struct OrderBookUpdate {
  timestampNs @0 :UInt64;
  ticker @1 :Text;
  sequence @2 :UInt64;
  union {
    snapshot @3 :Snapshot;
    delta @4 :Delta;
  }

  struct Snapshot {
    bids @0 :List(Level);
    asks @1 :List(Level);
  }

  struct Delta {
    side @0 :Side;
    price @1 :Float64;
    quantity @2 :UInt32;   # 0 removes the level
  }

  enum Side {
    bid @0;
    ask @1;
  }
}
