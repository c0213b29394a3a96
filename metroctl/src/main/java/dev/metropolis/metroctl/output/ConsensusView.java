package dev.metropolis.metroctl.output;

import dev.metropolis.api.curator.GetConsensusStatusResponse.EtcdMember;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** How {@code cluster consensus} prints etcd members: node ID and FULL, LEARNER or UNKNOWN. */
public final class ConsensusView {
  public static final String STATUS = "status";

  private ConsensusView() {}

  public static SparseTable table(List<EtcdMember> members) {
    SparseTable t = new SparseTable();
    for (EtcdMember m : members) {
      Map<String, String> row = new LinkedHashMap<>();
      row.put(NodeView.ID, m.getId());
      row.put(STATUS, status(m));
      t.add(row);
    }
    return t;
  }

  public static String json(EtcdMember m) {
    return new Json().field("id", m.getId()).field("status", status(m)).toString();
  }

  /** The status without its STATUS_ prefix; UNRECOGNIZED (a newer server) prints as UNKNOWN. */
  static String status(EtcdMember m) {
    return switch (m.getStatus()) {
      case STATUS_FULL -> "FULL";
      case STATUS_LEARNER -> "LEARNER";
      default -> "UNKNOWN";
    };
  }
}
