# Stand-in for the official Swift build image where no registry answers (scripts/compose
# builds and tags it): Debian with the official image's build dependencies, this machine's
# toolchain, and its copy of the Swift packages, which git reads in place of github.com.
# Build context: a folder holding `swift/` (the toolchain) and `swift-packages/`.
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends \
        binutils git gnupg2 libc6-dev libcurl4-openssl-dev libedit2 libgcc-12-dev libpython3-dev \
        libncurses6 libsqlite3-0 libstdc++-12-dev libxml2-dev libz3-dev pkg-config tzdata zlib1g-dev ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY . /opt/
RUN git config --system url./opt/swift-packages/.insteadOf https://github.com/
ENV PATH=/opt/swift/usr/bin:$PATH
