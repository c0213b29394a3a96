package dev.metropolis.metroctl;

import dev.metropolis.api.management.UpdateNodeRolesRequest;
import dev.metropolis.metroctl.client.ClusterClient;
import dev.metropolis.metroctl.client.MetroctlException;
import dev.metropolis.metroctl.client.RpcErrors;
import io.grpc.StatusRuntimeException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code node add role} and {@code node remove role}. */
public final class NodeRoleCommands {
  private NodeRoleCommands() {}

  /** {@code node add ...}: only {@code role} today, as in the reference. */
  @Command(name = "add", mixinStandardHelpOptions = true, description = "Add something to nodes.")
  public static final class Add implements Runnable {
    @Spec CommandSpec spec;

    @Override
    public void run() {
      throw new CommandLine.ParameterException(spec.commandLine(), "Missing command");
    }
  }

  /** {@code node remove ...}: only {@code role} today, as in the reference. */
  @Command(
      name = "remove",
      mixinStandardHelpOptions = true,
      description = "Remove something from nodes.")
  public static final class Remove implements Runnable {
    @Spec CommandSpec spec;

    @Override
    public void run() {
      throw new CommandLine.ParameterException(spec.commandLine(), "Missing command");
    }
  }

  /**
   * Grants or revokes one role on each node in turn, one line per node. Unlike the reference, a
   * node that could not be updated makes the command fail (exit 1) after all were tried, so that
   * scripts notice; the lines say which nodes were changed.
   */
  abstract static class RoleChange implements Runnable {
    @Spec CommandSpec spec;

    @Parameters(
        index = "0",
        paramLabel = "ROLE",
        description =
            "ConsensusMember (cm), KubernetesController (kc) or KubernetesWorker (kw);"
                + " case-insensitive.")
    String role;

    @Parameters(index = "1..*", arity = "1..*", paramLabel = "NODE-ID", description = "Nodes.")
    List<String> ids = new ArrayList<>();

    /** True to grant the role, false to revoke it. */
    abstract boolean grant();

    @Override
    public void run() {
      Metroctl root = Metroctl.of(spec);
      Role r;
      try {
        r = Role.parse(role);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
      }
      List<String> nodes =
          ids.stream().map(id -> NodeCommand.checkId(spec, id)).distinct().toList();
      PrintWriter out = root.io().out();
      PrintWriter err = root.io().err();
      int failed;
      try (ClusterClient client = root.client(spec)) {
        // One connection for every node. A node's failure is reported and the next one tried,
        // so UNAVAILABLE (etcd busy with another learner) is not retried through a new leader.
        failed =
            client.asOwner(ch -> {
              int f = 0;
              for (String id : nodes) {
                try {
                  ClusterClient.management(ch)
                      .updateNodeRoles(
                          r.set(UpdateNodeRolesRequest.newBuilder().setId(id), grant()).build());
                  out.println("Updated node " + id + ".");
                } catch (StatusRuntimeException e) {
                  f++;
                  out.flush();
                  err.println("Couldn't update node \"" + id + "\": " + RpcErrors.describe(e));
                }
                out.flush();
              }
              return f;
            });
      }
      if (failed > 0) {
        throw new MetroctlException(
            (grant() ? "adding " : "removing ")
                + r.displayName()
                + " failed on "
                + failed
                + " of "
                + nodes.size()
                + (nodes.size() == 1 ? " node" : " nodes"));
      }
    }
  }

  @Command(
      name = "role",
      mixinStandardHelpOptions = true,
      description = {
        "Grant a role to nodes.",
        "KubernetesController needs ConsensusMember. A new ConsensusMember joins etcd as a"
            + " learner and becomes a voter once it has caught up (see `cluster consensus`)."
      })
  public static final class AddRole extends RoleChange {
    @Override
    boolean grant() {
      return true;
    }
  }

  @Command(
      name = "role",
      mixinStandardHelpOptions = true,
      description = {
        "Revoke a role from nodes.",
        "ConsensusMember cannot be removed while the node is a KubernetesController, nor when the"
            + " remaining etcd members would lack a quorum."
      })
  public static final class RemoveRole extends RoleChange {
    @Override
    boolean grant() {
      return false;
    }
  }
}
