import type { INestApplication } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { RequestMethod } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { GATEWAY_METADATA, MESSAGE_METADATA } from '@nestjs/websockets/constants';

type Class = new (...args: never[]) => unknown;

function classes(app: INestApplication, kind: 'providers' | 'controllers'): Class[] {
  const modules = app.get(ModulesContainer, { strict: false });
  const found = new Set<Class>();
  for (const module of modules.values()) {
    for (const wrapper of module[kind].values()) {
      if (typeof wrapper.metatype === 'function') found.add(wrapper.metatype as Class);
    }
  }
  return [...found];
}

function methodsOf(type: Class): ((...args: unknown[]) => unknown)[] {
  const proto = type.prototype as Record<string, unknown>;
  return Object.getOwnPropertyNames(proto)
    .filter((name) => name !== 'constructor')
    .map((name) => Object.getOwnPropertyDescriptor(proto, name)?.value)
    .filter((value): value is (...args: unknown[]) => unknown => typeof value === 'function');
}

/** Every socket.io event some gateway handles (`@SubscribeMessage`), read from the running app's metadata. */
export function handledEvents(app: INestApplication): string[] {
  const events = classes(app, 'providers')
    .filter((type) => Reflect.getMetadata(GATEWAY_METADATA, type))
    .flatMap((type) => methodsOf(type).map((method) => Reflect.getMetadata(MESSAGE_METADATA, method) as string | undefined))
    .filter((event): event is string => typeof event === 'string');
  return [...new Set(events)].sort();
}

/** Every REST route of the app's controllers as `GET /users/{id}` (OpenAPI path syntax). */
export function restRoutes(app: INestApplication): string[] {
  const join = (...parts: string[]) =>
    '/' +
    parts
      .flatMap((p) => p.split('/'))
      .filter(Boolean)
      .map((segment) => (segment.startsWith(':') ? `{${segment.slice(1)}}` : segment))
      .join('/');
  const routes = classes(app, 'controllers').flatMap((type) => {
    const prefix = (Reflect.getMetadata(PATH_METADATA, type) as string | undefined) ?? '';
    return methodsOf(type).flatMap((method) => {
      const path = Reflect.getMetadata(PATH_METADATA, method) as string | string[] | undefined;
      const verb = Reflect.getMetadata(METHOD_METADATA, method) as RequestMethod | undefined;
      if (path === undefined || verb === undefined) return [];
      return [path].flat().map((p) => `${RequestMethod[verb]} ${join(prefix, p)}`);
    });
  });
  return [...new Set(routes)].sort();
}
