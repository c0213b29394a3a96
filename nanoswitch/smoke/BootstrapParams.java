import com.google.protobuf.ByteString;
import dev.metropolis.api.common.ClusterConfiguration;
import dev.metropolis.api.common.NodeLabels;
import dev.metropolis.api.configuration.NodeParameters;
import dev.metropolis.osbase.pki.Ed25519;
import dev.metropolis.osbase.pki.Pem;
import java.nio.file.*;

/**
 * Writes a bootstrapping node's parameters (fixed insecure owner key, as launch's InsecureOwnerKey)
 * into STATE_DIR/esp/metropolis/parameters.pb, and that owner's key into METROCTL_DIR. Run with
 * the node jar on the class path: java -cp metropolis-node.jar BootstrapParams.java STATE METROCTL
 */
public class BootstrapParams {
  public static void main(String[] a) throws Exception {
    byte[] seed = new byte[32];
    System.arraycopy("metropolis-insecure-test-owner!!".getBytes(java.nio.charset.StandardCharsets.US_ASCII), 0, seed, 0, 32);
    var kp = Ed25519.keyPairFromSeed(seed);
    var p = NodeParameters.newBuilder().setClusterBootstrap(NodeParameters.ClusterBootstrap.newBuilder()
        .setOwnerPublicKey(ByteString.copyFrom(Ed25519.rawPublicKey(kp.getPublic())))
        .setInitialClusterConfiguration(ClusterConfiguration.newBuilder().setClusterDomain("cluster.internal")
            .setTpmMode(ClusterConfiguration.TPMMode.TPM_MODE_DISABLED)
            .setStorageSecurityPolicy(ClusterConfiguration.StorageSecurityPolicy.STORAGE_SECURITY_POLICY_NEEDS_INSECURE))
        .setLabels(NodeLabels.getDefaultInstance())).build();
    Path f = Path.of(a[0], "esp/metropolis/parameters.pb");
    Files.createDirectories(f.getParent());
    Files.write(f, p.toByteArray());
    Files.createDirectories(Path.of(a[1]));
    Files.writeString(Path.of(a[1], "owner-key.pem"), Pem.encodeOwnerKey(kp.getPrivate()));
  }
}
