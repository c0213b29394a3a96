package dev.metropolis.kubernetes.apiserver.auth;

import java.util.Optional;
import java.util.Set;

/**
 * Who may do what. Cluster-admin is held by the configured admin users (the cluster owner) and
 * members of {@code system:masters}. A node ({@code system:node:<id>} in {@code system:nodes}) may
 * read what a kubelet reads (nodes, pods, services, endpoints, namespaces, endpoint slices), write
 * only its own Node (and its status) and its own Lease in {@code kube-node-lease}, and record
 * events: the rules of upstream's Node authorizer and NodeRestriction admission that matter before
 * pods run. Everyone else is refused. Discovery is open to every authenticated user, as upstream's
 * {@code system:discovery} role makes it.
 */
public final class Authorizer {
  public static final String MASTERS = "system:masters";
  public static final String NODES = "system:nodes";
  public static final String NODE_PREFIX = "system:node:";
  public static final String NODE_LEASE_NAMESPACE = "kube-node-lease";
  private static final Set<String> READ = Set.of("get", "list", "watch");
  private static final Set<String> NODE_READABLE =
      Set.of("nodes", "pods", "services", "endpoints", "namespaces");
  private static final Set<String> EVENT_WRITE = Set.of("create", "update", "patch");
  private static final Set<String> OWN_WRITE = Set.of("get", "create", "update", "patch", "delete");

  private final Set<String> admins;

  public Authorizer(Set<String> admins) {
    this.admins = Set.copyOf(admins);
  }

  public boolean isAdmin(User user) {
    return admins.contains(user.name()) || user.groups().contains(MASTERS);
  }

  /** Whether {@code user} may do {@code a}. */
  public boolean allows(User user, Attributes a) {
    if (isAdmin(user)) {
      return true;
    }
    return node(user).map(n -> nodeAllows(n, a)).orElse(false);
  }

  /** The node name of a node user, if {@code user} is one. */
  public static Optional<String> node(User user) {
    if (!user.groups().contains(NODES) || !user.name().startsWith(NODE_PREFIX)) {
      return Optional.empty();
    }
    String name = user.name().substring(NODE_PREFIX.length());
    return name.isEmpty() ? Optional.empty() : Optional.of(name);
  }

  private static boolean nodeAllows(String node, Attributes a) {
    boolean read = READ.contains(a.verb());
    return switch (a.group()) {
      case "" -> {
        if (a.resource().equals("nodes")
            && (a.subresource().isEmpty() || a.subresource().equals("status"))
            && OWN_WRITE.contains(a.verb())
            && a.name().equals(node)) {
          yield true;
        }
        if (a.resource().equals("events")) {
          yield EVENT_WRITE.contains(a.verb());
        }
        yield read && a.subresource().isEmpty() && NODE_READABLE.contains(a.resource());
      }
      case "coordination.k8s.io" ->
          a.resource().equals("leases")
              && a.subresource().isEmpty()
              && a.namespace().equals(NODE_LEASE_NAMESPACE)
              && a.name().equals(node)
              && OWN_WRITE.contains(a.verb());
      case "discovery.k8s.io" -> read && a.resource().equals("endpointslices");
      case "events.k8s.io" -> a.resource().equals("events") && EVENT_WRITE.contains(a.verb());
      default -> false;
    };
  }
}
