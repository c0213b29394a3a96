package dev.metropolis.metroctl;

import dev.metropolis.api.curator.GetConsensusStatusResponse.EtcdMember;
import dev.metropolis.metroctl.client.ConfigDir;
import dev.metropolis.metroctl.client.MetroctlException;
import dev.metropolis.metroctl.client.RpcErrors;
import dev.metropolis.metroctl.output.ConsensusView;
import dev.metropolis.metroctl.output.Json;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.io.PrintWriter;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code metroctl cluster ...}: cluster-wide operations. */
@Command(
    name = "cluster",
    mixinStandardHelpOptions = true,
    description = "Cluster-wide operations.")
public final class ClusterCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "Missing command");
  }

  /**
   * {@code cluster takeownership}: trades the initial owner key for the owner certificate. Safe to
   * repeat: the cluster issues the same certificate again.
   */
  @Command(
      name = "takeownership",
      mixinStandardHelpOptions = true,
      description = {
        "Take ownership of a newly bootstrapped cluster: prove possession of the initial owner"
            + " key (owner-key.pem in the config directory) and save the owner certificate"
            + " (owner.pem) that management commands use.",
        "Needs exactly one --endpoints. Safe to repeat."
      })
  public static final class TakeOwnership implements Runnable {
    @Spec CommandSpec spec;

    @Override
    public void run() {
      Metroctl root = Metroctl.of(spec);
      int n = root.endpoints().size();
      if (n != 1) {
        throw new CommandLine.ParameterException(
            spec.commandLine(),
            "takeownership needs exactly one --endpoints, got " + (n == 0 ? "none" : n));
      }
      ConfigDir config = root.configDir();
      KeyPair key =
          config
              .ownerKey()
              .orElseThrow(() ->
                  new MetroctlException(
                      "no owner key at "
                          + config.path(ConfigDir.OWNER_KEY)
                          + ": put the owner-key.pem written when the cluster was installed"
                          + " there, or run takeownership on the machine that installed it"));
      X509Certificate cert;
      try (var client = root.client(spec)) {
        cert = client.escrowOwner(key);
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() == Status.Code.PERMISSION_DENIED) {
          throw new MetroctlException(
              "the cluster does not accept "
                  + config.path(ConfigDir.OWNER_KEY)
                  + " as its owner key: "
                  + RpcErrors.describe(e),
              e);
        }
        throw new MetroctlException("taking ownership failed: " + RpcErrors.describe(e), e);
      }
      try {
        config.writeOwnerCertificate(cert);
      } catch (IOException e) {
        throw new MetroctlException(
            "the cluster issued the owner certificate, but it could not be saved to "
                + config.path(ConfigDir.OWNER_CERT)
                + " ("
                + ConfigDir.reason(e)
                + "); run takeownership again to fetch it once more",
            e);
      }
      root.io()
          .out()
          .println("Successfully retrieved owner credentials! You now own this cluster.");
    }
  }

  /** {@code cluster consensus}: the etcd members and whether each votes yet. */
  @Command(
      name = "consensus",
      mixinStandardHelpOptions = true,
      description = {
        "Show the members of the cluster's consensus (etcd): each ConsensusMember node, FULL"
            + " once it votes, LEARNER while it catches up after being granted the role."
      })
  public static final class Consensus implements Runnable {
    @Spec CommandSpec spec;

    @Override
    public void run() {
      Metroctl root = Metroctl.of(spec);
      List<EtcdMember> members;
      try (var client = root.client(spec)) {
        members = new ArrayList<>(client.consensusStatus());
      } catch (StatusRuntimeException e) {
        throw new MetroctlException(
            "reading the consensus status failed: " + RpcErrors.describe(e), e);
      }
      members.sort(Comparator.comparing(EtcdMember::getId));
      PrintWriter out = root.io().out();
      if (root.format() == Metroctl.Format.json) {
        members.forEach(m -> out.println(ConsensusView.json(m)));
      } else {
        out.print(ConsensusView.table(members).render());
      }
    }
  }

  /**
   * {@code cluster register-ticket}: the ticket new nodes register with, in base64, the encoding of
   * protobuf bytes in JSON, so it can go straight into a JSON NodeParameters.
   */
  @Command(
      name = "register-ticket",
      mixinStandardHelpOptions = true,
      description = {
        "Print the ticket that new nodes need to register with the cluster (base64).",
        "Anyone holding it can register nodes, which still need approval. It never changes."
      })
  public static final class RegisterTicket implements Runnable {
    @Spec CommandSpec spec;

    @Override
    public void run() {
      Metroctl root = Metroctl.of(spec);
      byte[] ticket;
      try (var client = root.client(spec)) {
        ticket = client.registerTicket();
      } catch (StatusRuntimeException e) {
        throw new MetroctlException(
            "fetching the register ticket failed: " + RpcErrors.describe(e), e);
      }
      String b64 = Base64.getEncoder().encodeToString(ticket);
      root.io()
          .out()
          .println(
              root.format() == Metroctl.Format.json
                  ? new Json().field("ticket", b64).toString()
                  : b64);
    }
  }
}
