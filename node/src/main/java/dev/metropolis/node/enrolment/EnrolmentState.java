package dev.metropolis.node.enrolment;

import dev.metropolis.node.storage.NodeStorage;

/** How far this node is in joining its cluster, as the role server sees it. */
public sealed interface EnrolmentState {
  /** This node founds a new cluster; its control plane must finish the bootstrap. */
  record Bootstrapping(BootstrapData data) implements EnrolmentState {}

  /** This node is a member of a cluster, with its node credentials. */
  record Member(NodeStorage.Credentials credentials) implements EnrolmentState {}
}
