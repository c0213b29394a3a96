package dev.metropolis.api;

import dev.metropolis.api.common.Version;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/** The product version: how it is stamped at build time and how it prints. */
public final class Versions {
  /** Where the build writes the stamp (see api/version.sh). */
  public static final String RESOURCE = "/metropolis/version.properties";

  private Versions() {}

  /** SemVer: {@code vMAJ.MIN.PATCH[-devN][.gHASH][.dirty]}, or {@code -nostamp} without git. */
  public static String format(Version v) {
    var r = v.getRelease();
    StringBuilder sb = new StringBuilder();
    sb.append('v')
        .append(r.getMajor())
        .append('.')
        .append(r.getMinor())
        .append('.')
        .append(r.getPatch());
    if (!v.hasGitInformation()) {
      return sb.append("-nostamp").toString();
    }
    var g = v.getGitInformation();
    if (g.getCommitsSinceRelease() > 0) {
      sb.append("-dev").append(g.getCommitsSinceRelease());
    }
    if (!g.getCommitHash().isEmpty()) {
      sb.append(".g").append(g.getCommitHash(), 0, Math.min(8, g.getCommitHash().length()));
    }
    if (g.getBuildTreeState() == Version.GitInformation.BuildTreeState.BUILD_TREE_STATE_DIRTY) {
      sb.append(".dirty");
    }
    return sb.toString();
  }

  /** This build's version, read from the stamp on the class path. */
  public static Version current() {
    Properties p = new Properties();
    try (InputStream in = Versions.class.getResourceAsStream(RESOURCE)) {
      if (in != null) {
        p.load(in);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return parse(p);
  }

  static Version parse(Properties p) {
    String[] rel = p.getProperty("release", "0.0.0").split("\\.", -1);
    var b =
        Version.newBuilder()
            .setRelease(
                Version.Release.newBuilder()
                    .setMajor(Long.parseLong(rel[0]))
                    .setMinor(rel.length > 1 ? Long.parseLong(rel[1]) : 0)
                    .setPatch(rel.length > 2 ? Long.parseLong(rel[2]) : 0));
    String commit = p.getProperty("commit");
    if (commit != null) {
      b.setGitInformation(
          Version.GitInformation.newBuilder()
              .setCommitHash(commit)
              .setCommitsSinceRelease(Long.parseLong(p.getProperty("commits_since_release", "0")))
              .setBuildTreeState(
                  "dirty".equals(p.getProperty("tree"))
                      ? Version.GitInformation.BuildTreeState.BUILD_TREE_STATE_DIRTY
                      : Version.GitInformation.BuildTreeState.BUILD_TREE_STATE_CLEAN));
    }
    return b.build();
  }
}
