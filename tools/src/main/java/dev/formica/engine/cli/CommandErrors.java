package dev.formica.engine.cli;

import dev.formica.client.FormicaException;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParseResult;

/**
 * How a command's failure reaches the operator: a mistake in what they typed (a file that is not there, a
 * scenario name with a typo, an invalid input file) is one line, {@code formica SUBCOMMAND: what is wrong}, and
 * exit code 2, picocli's code for invalid input; a file that cannot be read for another reason is one line and
 * exit code 1. A call a server refused is one line with its status code and reason, then one line per bad field
 * of the request, exit code 1 (docs/api.md lists the reasons). Anything else is a bug and keeps its stack trace.
 *
 * <p>Thread contract: used on the main thread by picocli.
 */
public final class CommandErrors implements IExecutionExceptionHandler {
    /** A command's input is wrong; the message says what, in one line, without the command's name. */
    public static final class UsageException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public UsageException(String message) {
            super(message);
        }

        public UsageException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    @Override
    public int handleExecutionException(Exception ex, CommandLine commandLine, ParseResult parseResult)
            throws Exception {
        Throwable e = ex instanceof UncheckedIOException u ? u.getCause() : ex;
        String message;
        int exit;
        if (e instanceof UsageException) {
            message = e.getMessage();
            exit = commandLine.getCommandSpec().exitCodeOnInvalidInput();
        } else if (e instanceof NoSuchFileException f) {
            message = f.getFile() + ": no such file or directory";
            exit = commandLine.getCommandSpec().exitCodeOnInvalidInput();
        } else if (e instanceof NotDirectoryException f) {
            message = f.getFile() + ": not a directory";
            exit = commandLine.getCommandSpec().exitCodeOnInvalidInput();
        } else if (e instanceof AccessDeniedException f) {
            message = f.getFile() + ": permission denied";
            exit = commandLine.getCommandSpec().exitCodeOnInvalidInput();
        } else if (e instanceof FileSystemException f) {
            message = f.getFile() + ": " + (f.getReason() != null ? f.getReason() : f.getClass().getSimpleName());
            exit = commandLine.getCommandSpec().exitCodeOnExecutionException();
        } else if (e instanceof IOException) {
            message = e.getMessage() != null ? e.getMessage() : e.toString();
            exit = commandLine.getCommandSpec().exitCodeOnExecutionException();
        } else if (e instanceof StatusRuntimeException refused) {
            return refused(FormicaException.of(refused), commandLine);
        } else {
            throw ex;
        }
        PrintWriter err = commandLine.getErr();
        err.println(commandLine.getCommandSpec().qualifiedName() + ": " + oneLine(message));
        err.flush();
        return exit;
    }

    /** {@code formica rules publish: INVALID_ARGUMENT RULE_SET_INVALID: yaml: ...}, then each bad field. */
    private static int refused(FormicaException e, CommandLine commandLine) {
        PrintWriter err = commandLine.getErr();
        StringBuilder line = new StringBuilder(commandLine.getCommandSpec().qualifiedName()).append(": ")
                .append(e.code());
        if (!e.reasonName().isEmpty()) {
            line.append(' ').append(e.reasonName());
        }
        String description = e.getStatus().getDescription();
        if (description != null) {
            line.append(": ").append(oneLine(description));
        }
        err.println(line);
        if (e.fieldViolations().size() > 1) {
            for (FormicaException.FieldViolation v : e.fieldViolations()) {
                err.println("  " + v.field() + ": " + oneLine(v.description()));
            }
        }
        e.retryDelay().ifPresent(d -> err.println("  retry after " + d.toMillis() + " ms"));
        if (e.code() == io.grpc.Status.Code.UNAUTHENTICATED) {
            err.println("  give --token-file, $" + AdminConnection.TOKEN_ENV + ", the --data-dir of a server on this"
                    + " machine, or a client certificate (--tls-cert, --tls-key)");
        }
        err.flush();
        return commandLine.getCommandSpec().exitCodeOnExecutionException();
    }

    private static String oneLine(String s) {
        return s.strip().replaceAll("\\s*\\R\\s*", "; ");
    }
}
