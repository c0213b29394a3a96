package dev.metropolis.metroctl.output;

import dev.metropolis.api.Versions;
import dev.metropolis.api.common.NodeLabels;
import dev.metropolis.api.management.Node;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** How a node prints: its {@code node describe} row and its JSON line. */
public final class NodeView {
  public static final String ID = "node id";
  public static final String STATE = "state";
  public static final String ADDRESS = "address";
  public static final String HEALTH = "health";
  public static final String ROLES = "roles";
  public static final String TPM = "tpm";
  public static final String VERSION = "version";
  public static final String HEARTBEAT = "heartbeat";
  public static final String LABELS = "labels";

  /** Every column {@code node describe} knows, in display order. */
  public static final List<String> COLUMNS =
      List.of(ID, STATE, ADDRESS, HEALTH, ROLES, TPM, VERSION, HEARTBEAT, LABELS);

  private NodeView() {}

  /**
   * The table row. The version cell is left out, not blank, when the node reported none, so that
   * the column disappears when no node has one.
   */
  public static Map<String, String> row(Node n) {
    Map<String, String> r = new LinkedHashMap<>();
    r.put(ID, n.getId());
    r.put(STATE, state(n));
    r.put(ADDRESS, address(n).orElse("unknown"));
    r.put(HEALTH, health(n));
    r.put(ROLES, String.join(",", roles(n)));
    r.put(TPM, tpm(n));
    version(n).ifPresent(v -> r.put(VERSION, v));
    r.put(HEARTBEAT, heartbeatSeconds(n) + "s");
    StringBuilder labels = new StringBuilder();
    for (NodeLabels.Pair p : sortedLabels(n)) {
      if (!labels.isEmpty()) {
        labels.append(',');
      }
      labels.append(p.getKey()).append(':').append(p.getValue());
    }
    r.put(LABELS, labels.toString());
    return r;
  }

  /** A table of {@code nodes} in the given order. */
  public static SparseTable table(List<Node> nodes) {
    SparseTable t = new SparseTable();
    for (Node n : nodes) {
      t.add(row(n));
    }
    return t;
  }

  /** A table with only the node ID column, for {@code node list}. */
  public static SparseTable idTable(List<Node> nodes) {
    SparseTable t = new SparseTable();
    for (Node n : nodes) {
      t.add(Map.of(ID, n.getId()));
    }
    return t;
  }

  /**
   * The node as one line of JSON, for scripts: the table's values, with null for an unknown address
   * or version, roles as a list, labels as an object and the public key in hex.
   */
  public static String json(Node n) {
    Map<String, String> labels = new LinkedHashMap<>();
    for (NodeLabels.Pair p : sortedLabels(n)) {
      labels.put(p.getKey(), p.getValue());
    }
    return new Json()
        .field("id", n.getId())
        .field("state", state(n))
        .field("address", address(n).orElse(null))
        .field("health", health(n))
        .field("roles", roles(n))
        .field("tpm", tpm(n))
        .field("version", version(n).orElse(null))
        .field("heartbeat_seconds", heartbeatSeconds(n))
        .field("labels", labels)
        .field("pubkey", HexFormat.of().formatHex(n.getPubkey().toByteArray()))
        .toString();
  }

  /** The node's ID only, as JSON, for {@code node list}. */
  public static String idJson(Node n) {
    return new Json().field("id", n.getId()).toString();
  }

  /** Validates {@code --columns} names (case-insensitive) and returns them as keys. */
  public static Set<String> columns(List<String> names) {
    List<String> keys = new ArrayList<>();
    for (String name : names) {
      String k = name.strip().toLowerCase(java.util.Locale.ROOT);
      if (!COLUMNS.contains(k)) {
        throw new IllegalArgumentException(
            "unknown column \"" + name + "\" (columns: " + String.join(", ", COLUMNS) + ")");
      }
      keys.add(k);
    }
    return Set.copyOf(keys);
  }

  static String state(Node n) {
    return strip(n.getState().name(), "NODE_STATE_");
  }

  static String health(Node n) {
    return strip(n.getHealth().name(), "HEALTH_");
  }

  static Optional<String> address(Node n) {
    String a = n.getStatus().getExternalAddress();
    return a.isEmpty() ? Optional.empty() : Optional.of(a);
  }

  /** Held roles, sorted by name. */
  static List<String> roles(Node n) {
    List<String> roles = new ArrayList<>(3);
    var r = n.getRoles();
    if (r.hasConsensusMember()) {
      roles.add("ConsensusMember");
    }
    if (r.hasKubernetesController()) {
      roles.add("KubernetesController");
    }
    if (r.hasKubernetesWorker()) {
      roles.add("KubernetesWorker");
    }
    roles.sort(Comparator.naturalOrder());
    return roles;
  }

  static String tpm(Node n) {
    return switch (n.getTpmUsage()) {
      case NODE_TPM_USAGE_PRESENT_AND_USED -> "yes";
      case NODE_TPM_USAGE_PRESENT_BUT_UNUSED -> "unused";
      case NODE_TPM_USAGE_NOT_PRESENT -> "no";
      default -> "unk";
    };
  }

  static Optional<String> version(Node n) {
    return n.getStatus().hasVersion()
        ? Optional.of(Versions.format(n.getStatus().getVersion()))
        : Optional.empty();
  }

  /** Whole seconds since the last heartbeat, truncated. */
  static long heartbeatSeconds(Node n) {
    return n.getTimeSinceHeartbeat().getSeconds();
  }

  private static List<NodeLabels.Pair> sortedLabels(Node n) {
    List<NodeLabels.Pair> pairs = new ArrayList<>(n.getLabels().getPairsList());
    pairs.sort(Comparator.comparing(NodeLabels.Pair::getKey));
    return pairs;
  }

  private static String strip(String name, String prefix) {
    return name.startsWith(prefix) ? name.substring(prefix.length()) : name;
  }
}
