import { Logger } from '@nestjs/common';

// Unit specs construct services without an app; their Nest loggers would print to the console.
Logger.overrideLogger(false);
