package dev.metropolis.metroctl.client;

import dev.metropolis.osbase.pki.Pem;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The operator's credential directory ({@code --config}): the owner key, the owner certificate and
 * the pinned cluster CA. Files are replaced atomically (temporary file, then rename) so that an
 * interrupted write never leaves half a key or certificate behind, and each gets its mode
 * explicitly rather than from the umask.
 */
public final class ConfigDir {
  /** The initial owner private key, from the bootstrap ({@code METROPOLIS INITIAL OWNER ...}). */
  public static final String OWNER_KEY = "owner-key.pem";

  /** The owner's user certificate, from escrow. */
  public static final String OWNER_CERT = "owner.pem";

  /** The cluster CA, pinned on first use. */
  public static final String CA = "ca.pem";

  static final Set<PosixFilePermission> PRIVATE = PosixFilePermissions.fromString("rw-------");
  static final Set<PosixFilePermission> PUBLIC = PosixFilePermissions.fromString("rw-r--r--");
  static final Set<PosixFilePermission> DIRECTORY = PosixFilePermissions.fromString("rwx------");

  private final Path dir;

  public ConfigDir(Path dir) {
    this.dir = dir;
  }

  /**
   * The default directory: {@code $XDG_CONFIG_HOME/metroctl}, or {@code ~/.config/metroctl} when
   * that variable is unset or empty (as the XDG base directory specification says).
   */
  public static Path defaultPath(Map<String, String> env, String userHome) {
    String xdg = env.get("XDG_CONFIG_HOME");
    if (xdg != null && !xdg.isEmpty()) {
      return Path.of(xdg, "metroctl");
    }
    return Path.of(userHome, ".config", "metroctl");
  }

  public Path dir() {
    return dir;
  }

  public Path path(String name) {
    return dir.resolve(name);
  }

  /** The owner key pair, if {@value #OWNER_KEY} exists. */
  public Optional<KeyPair> ownerKey() {
    return read(OWNER_KEY)
        .map(text -> {
          try {
            return Pem.decodeOwnerKey(text);
          } catch (IllegalArgumentException e) {
            throw new MetroctlException(
                path(OWNER_KEY) + " is not a Metropolis owner key: " + e.getMessage(), e);
          }
        });
  }

  /** The owner certificate, if {@value #OWNER_CERT} exists. */
  public Optional<X509Certificate> ownerCertificate() {
    return certificate(OWNER_CERT);
  }

  /** The pinned cluster CA, if {@value #CA} exists. */
  public Optional<X509Certificate> caCertificate() {
    return certificate(CA);
  }

  /** Writes {@value #OWNER_KEY} (mode 0600). */
  public void writeOwnerKey(PrivateKey key) throws IOException {
    write(OWNER_KEY, Pem.encodeOwnerKey(key), PRIVATE);
  }

  /** Writes {@value #OWNER_CERT} (mode 0644: a certificate is public). */
  public void writeOwnerCertificate(X509Certificate cert) throws IOException {
    write(OWNER_CERT, Pem.encodeCertificate(cert), PUBLIC);
  }

  /**
   * Writes {@value #CA} (mode 0600: not secret, but whoever can replace it can redirect this
   * operator to another cluster, so it is kept as private as the key).
   */
  public void writeCaCertificate(X509Certificate cert) throws IOException {
    write(CA, Pem.encodeCertificate(cert), PRIVATE);
  }

  private Optional<X509Certificate> certificate(String name) {
    return read(name)
        .map(text -> {
          try {
            return Pem.decodeCertificate(text);
          } catch (IllegalArgumentException e) {
            throw new MetroctlException(
                path(name) + " is not a PEM certificate: " + e.getMessage(), e);
          }
        });
  }

  private Optional<String> read(String name) {
    try {
      return Optional.of(Files.readString(path(name), StandardCharsets.UTF_8));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw new MetroctlException("cannot read " + path(name) + ": " + reason(e), e);
    }
  }

  /** Why a file operation failed, in words (JDK messages often are just the path). */
  public static String reason(IOException e) {
    if (e instanceof java.nio.file.AccessDeniedException) {
      return "permission denied";
    }
    if (e instanceof NoSuchFileException) {
      return "no such file or directory";
    }
    if (e instanceof FileAlreadyExistsException) {
      return "a file is in the way";
    }
    String m = e.getMessage();
    return m == null ? e.getClass().getSimpleName() : m;
  }

  private void write(String name, String contents, Set<PosixFilePermission> mode)
      throws IOException {
    boolean posix = dir.getFileSystem().supportedFileAttributeViews().contains("posix");
    if (!Files.isDirectory(dir)) {
      try {
        if (posix) {
          Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(DIRECTORY));
        } else {
          Files.createDirectories(dir);
        }
      } catch (FileAlreadyExistsException e) {
        // Created concurrently, or a file in the way: the write below says which.
      }
    }
    FileAttribute<?>[] attrs =
        posix
            ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PRIVATE)}
            : new FileAttribute<?>[0];
    Path tmp = Files.createTempFile(dir, "." + name + ".", ".tmp", attrs);
    try {
      Files.writeString(tmp, contents, StandardCharsets.UTF_8);
      if (posix) {
        // Created 0600 so nothing is ever readable too early; the umask cannot widen or narrow
        // the final mode.
        Files.setPosixFilePermissions(tmp, mode);
      }
      try {
        Files.move(
            tmp, path(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, path(name), StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /**
   * The owner's credentials: {@value #OWNER_CERT} with the key of {@value #OWNER_KEY}.
   *
   * @throws MetroctlException if either is missing or they do not match
   */
  public Credentials ownerCredentials() {
    KeyPair key =
        ownerKey()
            .orElseThrow(() ->
                new MetroctlException(
                    "no owner key at "
                        + path(OWNER_KEY)
                        + ": copy it there from the machine that installed the cluster"));
    X509Certificate cert =
        ownerCertificate()
            .orElseThrow(() ->
                new MetroctlException(
                    "no owner certificate at "
                        + path(OWNER_CERT)
                        + ": run `metroctl cluster takeownership` first"));
    // The key pair's public half was derived and checked when the key file was read; comparing
    // encodings avoids a second derivation (a scalar multiplication on a cold JVM).
    if (!java.security.MessageDigest.isEqual(
        cert.getPublicKey().getEncoded(), key.getPublic().getEncoded())) {
      throw new MetroctlException(path(OWNER_CERT) + " was not issued for " + path(OWNER_KEY));
    }
    return new Credentials(cert, key.getPrivate());
  }
}
