// e2e apps get their settings through createApp({ env }); keep the shared environment quiet and neutral.
process.env.NODE_ENV ??= 'test';
