package dev.metropolis.metroctl;

import dev.metropolis.api.management.UpdateNodeRolesRequest;
import java.util.Locale;

/** A node role as {@code node add role} and {@code node remove role} name it. */
public enum Role {
  CONSENSUS_MEMBER("ConsensusMember", "cm"),
  KUBERNETES_CONTROLLER("KubernetesController", "kc"),
  KUBERNETES_WORKER("KubernetesWorker", "kw");

  private final String displayName;
  private final String alias;

  Role(String displayName, String alias) {
    this.displayName = displayName;
    this.alias = alias;
  }

  /** The name the tables and the reference CLI use, e.g. {@code KubernetesWorker}. */
  public String displayName() {
    return displayName;
  }

  /**
   * The role named {@code name}: its full name or short alias, in any case, as the reference CLI
   * accepts them.
   *
   * @throws IllegalArgumentException naming every accepted spelling
   */
  public static Role parse(String name) {
    String n = name.strip().toLowerCase(Locale.ROOT);
    for (Role r : values()) {
      if (n.equals(r.displayName.toLowerCase(Locale.ROOT)) || n.equals(r.alias)) {
        return r;
      }
    }
    throw new IllegalArgumentException(
        "unknown role \""
            + name
            + "\": must be one of ConsensusMember (cm), KubernetesController (kc),"
            + " KubernetesWorker (kw)");
  }

  /** Sets this role's field of {@code req}: grant when {@code held}, revoke otherwise. */
  public UpdateNodeRolesRequest.Builder set(UpdateNodeRolesRequest.Builder req, boolean held) {
    return switch (this) {
      case CONSENSUS_MEMBER -> req.setConsensusMember(held);
      case KUBERNETES_CONTROLLER -> req.setKubernetesController(held);
      case KUBERNETES_WORKER -> req.setKubernetesWorker(held);
    };
  }
}
