package dev.metropolis.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import dev.metropolis.api.ext.Authorization;
import dev.metropolis.api.ext.AuthorizationPolicy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every RPC must say who may call it: the server interceptor refuses methods without the {@code
 * (metropolis.ext.authorization)} option, so a missing one would only show up at run time as
 * INTERNAL. These checks move that failure to the build.
 */
class AuthorizationCoverageTest {

  /** The only methods a caller without a cluster certificate may reach. */
  private static final Set<String> UNAUTHENTICATED =
      Set.of(
          "metropolis.curator.Curator.RegisterNode",
          "metropolis.curator.Curator.CommitNode",
          "metropolis.curator.Curator.JoinNode",
          "metropolis.curator.CuratorLocal.GetCurrentLeader",
          "metropolis.curator.CuratorLocal.GetCACertificate",
          "metropolis.api.AAA.Escrow");

  private static List<MethodDescriptor> allMethods() {
    return ApiDescriptors.services().stream().flatMap(s -> s.getMethods().stream()).toList();
  }

  private static AuthorizationPolicy policy(MethodDescriptor m) {
    return m.getOptions().getExtension(Authorization.authorization);
  }

  private static Set<String> names(Stream<MethodDescriptor> methods) {
    return methods
        .map(MethodDescriptor::getFullName)
        .collect(Collectors.toCollection(TreeSet::new));
  }

  @Test
  void descriptorListCoversEveryProtoFileOfTheModule() throws IOException {
    Path root = Path.of(System.getProperty("basedir", ".")).resolve("src/main/proto");
    Set<String> onDisk;
    try (Stream<Path> walk = Files.walk(root)) {
      onDisk =
          walk.filter(p -> p.toString().endsWith(".proto"))
              .map(p -> root.relativize(p).toString().replace('\\', '/'))
              .collect(Collectors.toCollection(TreeSet::new));
    }
    Set<String> listed =
        ApiDescriptors.files().stream()
            .map(FileDescriptor::getName)
            .collect(Collectors.toCollection(TreeSet::new));

    assertThat(onDisk).as("proto files under %s", root).isNotEmpty();
    assertThat(listed)
        .as("ApiDescriptors.files() must list every .proto file under src/main/proto")
        .isEqualTo(onDisk);
  }

  @Test
  void everyImportIsListedOrWellKnown() {
    Set<String> listed =
        ApiDescriptors.files().stream().map(FileDescriptor::getName).collect(Collectors.toSet());
    Set<String> unlisted =
        ApiDescriptors.files().stream()
            .flatMap(f -> f.getDependencies().stream())
            .map(FileDescriptor::getName)
            .filter(n -> !listed.contains(n) && !n.startsWith("google/protobuf/"))
            .collect(Collectors.toCollection(TreeSet::new));
    assertThat(unlisted).as("imported files missing from ApiDescriptors").isEmpty();
  }

  @Test
  void everyMethodDeclaresItsAuthorization() {
    assertThat(allMethods()).as("RPC methods found").isNotEmpty();
    Set<String> missing =
        names(
            allMethods().stream()
                .filter(m -> !m.getOptions().hasExtension(Authorization.authorization)));
    assertThat(missing).as("methods without (metropolis.ext.authorization)").isEmpty();
  }

  @Test
  void onlyTheExpectedMethodsAllowUnauthenticatedCallers() {
    Set<String> actual =
        names(allMethods().stream().filter(m -> policy(m).getAllowUnauthenticated()));
    assertThat(actual)
        .as("methods with allow_unauthenticated")
        .containsExactlyInAnyOrderElementsOf(UNAUTHENTICATED);
  }

  @Test
  void unauthenticatedMethodsDoNotAlsoDemandPermissions() {
    // A permission or node requirement can never be met by an unauthenticated caller, so such a
    // policy is a contradiction that would lock everyone out.
    Set<String> contradictory =
        names(
            allMethods().stream()
                .filter(m -> policy(m).getAllowUnauthenticated())
                .filter(m -> policy(m).getNeedCount() > 0 || policy(m).getNeedNode()));
    assertThat(contradictory).as("unauthenticated methods that also need permissions").isEmpty();
  }

  @Test
  void everyAuthenticatedMethodNamesAPermission() {
    // An empty policy means "any authenticated caller"; none of our methods intends that, so an
    // empty one is most likely a forgotten permission.
    Set<String> open =
        names(
            allMethods().stream()
                .filter(m -> !policy(m).getAllowUnauthenticated())
                .filter(m -> policy(m).getNeedCount() == 0));
    assertThat(open).as("authenticated methods without any needed permission").isEmpty();
  }

  @Test
  void everyServiceOfTheApiIsSeen() {
    Set<String> services =
        ApiDescriptors.services().stream()
            .map(s -> s.getFullName())
            .collect(Collectors.toCollection(TreeSet::new));
    assertThat(services)
        .contains(
            "metropolis.api.Management",
            "metropolis.api.NodeManagement",
            "metropolis.api.AAA",
            "metropolis.curator.Curator",
            "metropolis.curator.CuratorLocal");
  }
}
