package dev.metropolis.kubernetes.apiserver.auth;

import java.util.Set;

/**
 * Who may do what. For now there is one role: cluster-admin, held by the configured admin users
 * (the cluster owner) and members of {@code system:masters}; everyone else is refused. Discovery is
 * open to every authenticated user, as upstream's {@code system:discovery} role makes it.
 */
public final class Authorizer {
  private static final String MASTERS = "system:masters";
  private final Set<String> admins;

  public Authorizer(Set<String> admins) {
    this.admins = Set.copyOf(admins);
  }

  public boolean isAdmin(User user) {
    return admins.contains(user.name()) || user.groups().contains(MASTERS);
  }
}
