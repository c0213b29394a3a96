package dev.metropolis.node.roles;

import dev.metropolis.api.common.NodeRoles;
import java.util.ArrayList;
import java.util.List;

/** Role names as operators see them. */
final class RoleNames {
  private RoleNames() {}

  static String of(NodeRoles r) {
    List<String> names = list(r);
    return names.isEmpty() ? "(none)" : String.join(",", names);
  }

  static List<String> list(NodeRoles r) {
    List<String> names = new ArrayList<>();
    if (r.hasConsensusMember()) {
      names.add("ConsensusMember");
    }
    if (r.hasKubernetesController()) {
      names.add("KubernetesController");
    }
    if (r.hasKubernetesWorker()) {
      names.add("KubernetesWorker");
    }
    return names;
  }
}
