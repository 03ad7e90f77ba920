package dev.formica.client;

import dev.formica.v1.LoadSummary;
import dev.formica.v1.Profile;
import dev.formica.v1.ProfileServiceGrpc;
import dev.formica.v1.RowError;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;

/**
 * The body of {@link FormicaClient#loadProfiles}: one Load stream per node that owns borrowers in
 * the input, fed from the caller's iterator on the caller's thread.
 *
 * <p>One instance per load, driven by the calling thread; the legs' callbacks only record the
 * outcome and wake the caller through {@code lock}. The caller sends only while a leg is ready, so
 * a slow engine slows the reading of the iterator instead of filling the heap.
 */
final class ProfileLoader {
    /** The server keeps the first 1,000 rejected rows; so does the merged summary. */
    static final int MAX_ERRORS = 1000;

    private final ManagedChannel[] channels;
    private final ClusterRouter.Snapshot routes;
    private final CallOptions options;
    private final Object lock = new Object();
    private final Leg[] legs;

    private ProfileLoader(ClusterRouter.Snapshot routes, CallOptions options) {
        this.routes = routes;
        this.channels = routes.channels();
        this.options = options;
        this.legs = new Leg[channels.length];
    }

    static LoadSummary load(ClusterRouter.Snapshot routes, CallOptions options, Iterator<Profile> profiles) {
        return new ProfileLoader(routes, options).run(profiles);
    }

    private LoadSummary run(Iterator<Profile> profiles) {
        try {
            long row = 0;
            while (profiles.hasNext()) {
                Profile profile = Objects.requireNonNull(profiles.next(), "profiles yielded null");
                row++;
                int index = routes.index(profile.getBorrowerId());
                Leg leg = legs[index];
                if (leg == null) {
                    leg = new Leg(channels[index], channels.length > 1);
                    legs[index] = leg;
                }
                leg.awaitReady();
                leg.send(profile, row);
            }
            for (Leg leg : legs) {
                if (leg != null) {
                    leg.call.halfClose();
                }
            }
            return merge();
        } catch (InterruptedException e) {
            cancelAll(e);
            Thread.currentThread().interrupt();
            throw Status.CANCELLED.withDescription("interrupted while loading profiles").withCause(e)
                    .asRuntimeException();
        } catch (RuntimeException | Error e) {
            cancelAll(e);
            throw e;
        }
    }

    private LoadSummary merge() throws InterruptedException {
        LoadSummary.Builder merged = LoadSummary.newBuilder();
        List<RowError> errors = new ArrayList<>();
        for (Leg leg : legs) {
            if (leg == null) {
                continue;
            }
            LoadSummary part = leg.awaitSummary();
            merged.setReceived(merged.getReceived() + part.getReceived())
                    .setLoaded(merged.getLoaded() + part.getLoaded())
                    .setCreated(merged.getCreated() + part.getCreated())
                    .setUpdated(merged.getUpdated() + part.getUpdated())
                    .setRejected(merged.getRejected() + part.getRejected());
            for (RowError error : part.getErrorsList()) {
                errors.add(leg.toInputRow(error));
            }
        }
        if (legs.length > 1) {
            errors.sort(Comparator.comparingLong(RowError::getRow));
        }
        return merged.addAllErrors(errors.size() > MAX_ERRORS ? errors.subList(0, MAX_ERRORS) : errors).build();
    }

    private void cancelAll(Throwable cause) {
        for (Leg leg : legs) {
            if (leg != null) {
                leg.call.cancel("load aborted by the client", cause);
            }
        }
    }

    /** One target's Load stream. */
    private final class Leg extends ClientCall.Listener<LoadSummary> {
        final ClientCall<Profile, LoadSummary> call;
        /** Input row of each message sent on this leg, when rows must be mapped back (several legs). */
        private long[] inputRows;
        private int sent;
        /** Written by callbacks under lock. */
        private LoadSummary summary;
        private Status status;
        private Metadata trailers;

        Leg(ManagedChannel channel, boolean mapRows) {
            this.inputRows = mapRows ? new long[64] : null;
            this.call = channel.newCall(ProfileServiceGrpc.getLoadMethod(), options);
            call.start(this, new Metadata());
            call.request(2);
        }

        void awaitReady() throws InterruptedException {
            synchronized (lock) {
                while (status == null && !call.isReady()) {
                    lock.wait();
                }
                if (status != null) {
                    throw failure();
                }
            }
        }

        void send(Profile profile, long row) {
            if (inputRows != null) {
                if (sent == inputRows.length) {
                    inputRows = Arrays.copyOf(inputRows, sent * 2);
                }
                inputRows[sent] = row;
            }
            sent++;
            call.sendMessage(profile);
        }

        LoadSummary awaitSummary() throws InterruptedException {
            synchronized (lock) {
                while (status == null) {
                    lock.wait();
                }
                if (!status.isOk()) {
                    throw failure();
                }
                if (summary == null) {
                    throw Status.INTERNAL.withDescription("server closed Load without a summary").asRuntimeException();
                }
                return summary;
            }
        }

        RowError toInputRow(RowError error) {
            long row = error.getRow();
            if (inputRows == null || row < 1 || row > sent) {
                return error;
            }
            return error.toBuilder().setRow(inputRows[(int) (row - 1)]).build();
        }

        private StatusRuntimeException failure() {
            Status s = status.isOk()
                    ? Status.INTERNAL.withDescription("server ended Load before the client finished sending")
                    : status;
            return FormicaException.of(s, trailers);
        }

        @Override
        public void onMessage(LoadSummary message) {
            synchronized (lock) {
                summary = message;
            }
        }

        @Override
        public void onReady() {
            synchronized (lock) {
                lock.notifyAll();
            }
        }

        @Override
        public void onClose(Status closeStatus, Metadata closeTrailers) {
            synchronized (lock) {
                status = closeStatus;
                trailers = closeTrailers;
                lock.notifyAll();
            }
        }
    }
}
