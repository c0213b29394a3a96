package dev.metropolis.metroctl;

import dev.metropolis.metroctl.client.ConfigDir;
import dev.metropolis.metroctl.client.MetroctlException;
import dev.metropolis.metroctl.client.RpcErrors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code metroctl cluster ...}: cluster-wide operations. */
@Command(
    name = "cluster",
    mixinStandardHelpOptions = true,
    description = "Cluster-wide operations.",
    subcommands = {ClusterCommand.TakeOwnership.class})
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
}
