package dev.mmcheck.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A file a flag asks us to write. Checked before any exploration starts, so a typo in a path
 * costs nothing and never leaves a printed result without the file it promised.
 */
final class OutputFile {
    private OutputFile() {}

    /** Creates the parent folders and refuses a path that cannot be written; null passes. */
    static void check(String flag, Path file) {
        if (file == null) {
            return;
        }
        Path parent = file.toAbsolutePath().getParent();
        try {
            if (parent != null) {
                Files.createDirectories(parent);
            }
        } catch (IOException | SecurityException e) {
            throw new UsageError(flag + ": cannot create the folder of " + file + " (" + e.getMessage() + ")");
        }
        if (Files.isDirectory(file)) {
            throw new UsageError(flag + ": " + file + " is a folder");
        }
        if (Files.exists(file) ? !Files.isWritable(file) : parent != null && !Files.isWritable(parent)) {
            throw new UsageError(flag + ": cannot write " + file);
        }
    }

    /** Writes {@code text} to the file, turning a failure into an error that names the flag. */
    static void write(String flag, Path file, String text) {
        check(flag, file);
        try {
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new UsageError(flag + ": cannot write " + file + ": " + e.getMessage());
        }
    }
}
