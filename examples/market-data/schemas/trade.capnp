# Normalised trade prints, one message per execution.
@0xd4c9a3f2b1e08a67;

struct Trade {
  timestampNs @0 :UInt64;   # exchange timestamp, nanoseconds since the Unix epoch
  ticker @1 :Text;
  price @2 :Float64;
  quantity @3 :UInt32;
  side @4 :Side;
  tradeId @5 :Text;

  enum Side {
    buy @0;
    sell @1;
  }
}
