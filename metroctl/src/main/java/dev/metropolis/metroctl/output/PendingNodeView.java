package dev.metropolis.metroctl.output;

import dev.metropolis.api.management.Node;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How {@code approve} lists nodes waiting for approval: ID and the full public key in hex, which is
 * what a registering node logs, so that the operator can compare them before approving.
 */
public final class PendingNodeView {
  public static final String PUBKEY = "pubkey";

  private PendingNodeView() {}

  public static SparseTable table(List<Node> nodes) {
    SparseTable t = new SparseTable();
    for (Node n : nodes) {
      Map<String, String> row = new LinkedHashMap<>();
      row.put(NodeView.ID, n.getId());
      row.put(PUBKEY, pubkey(n));
      t.add(row);
    }
    return t;
  }

  public static String json(Node n) {
    return new Json().field("id", n.getId()).field("pubkey", pubkey(n)).toString();
  }

  static String pubkey(Node n) {
    return HexFormat.of().formatHex(n.getPubkey().toByteArray());
  }
}
